//! Group commit: several submissions, each with its e-mails, event, idempotency key and
//! acknowledgement, written in one transaction with one multi-row insert per table. A clash
//! (a reference or an idempotency key already taken) leaves that one submission out, whole,
//! and says so; its neighbours are written.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;

use super::{insert_rows, NewIntake, Stored};
use crate::db::acks::{self, Ack, AckCaps, AckRow};
use crate::db::events::NewEvent;
use crate::db::idempotency::{self, IdempotencyRow};
use crate::db::outbox::NewOutboxRow;
use crate::db::schema::{ack_log, events, idempotency_keys, outbox, submissions};
use crate::db::submissions::SubmissionRow;
use crate::db::DbConnection;

/// Writes the batch inside the caller's transaction; says what became of each, in order.
pub(super) fn write(conn: &mut DbConnection, batch: &[NewIntake]) -> QueryResult<Vec<Stored>> {
    // Submissions first: a reference already taken (before, or by a neighbour) is skipped.
    let written = insert_submissions(conn, batch)?;
    let mut fate: Vec<Stored> = batch
        .iter()
        .map(|i| {
            if written.contains(&i.submission.id) {
                Stored::Done
            } else {
                Stored::ReferenceTaken
            }
        })
        .collect();
    // Then the idempotency keys of those written: a key already held means another post under
    // it came first, and this submission goes again (it has nothing else written yet).
    let keyed: Vec<&IdempotencyRow> = batch
        .iter()
        .zip(&fate)
        .filter(|(_, f)| **f == Stored::Done)
        .filter_map(|(i, _)| i.key.as_ref())
        .collect();
    let lost = keys_lost(conn, &keyed)?;
    if !lost.is_empty() {
        diesel::delete(submissions::table.filter(submissions::id.eq_any(&lost))).execute(conn)?;
        for (i, intake) in batch.iter().enumerate() {
            if lost.contains(&intake.submission.id.as_str()) {
                fate[i] = Stored::KeyTaken;
            }
        }
    }
    let kept: Vec<&NewIntake> = batch
        .iter()
        .zip(&fate)
        .filter(|(_, f)| **f == Stored::Done)
        .map(|(i, _)| i)
        .collect();
    the_rest(conn, &kept)?;
    Ok(fate)
}

/// Inserts the batch's submissions; returns the ids of those written (the others' references
/// were taken).
fn insert_submissions(
    conn: &mut DbConnection,
    batch: &[NewIntake],
) -> QueryResult<HashSet<String>> {
    Ok(match conn {
        DbConnection::Pg(pg) => {
            let rows: Vec<&SubmissionRow> = batch.iter().map(|i| &i.submission).collect();
            diesel::insert_into(submissions::table)
                .values(rows)
                .on_conflict(submissions::reference)
                .do_nothing()
                .returning(submissions::id)
                .get_results::<String>(pg)?
                .into_iter()
                .collect()
        }
        DbConnection::Sqlite(sq) => {
            let mut ids = HashSet::new();
            for intake in batch {
                let n = diesel::insert_into(submissions::table)
                    .values(&intake.submission)
                    .on_conflict(submissions::reference)
                    .do_nothing()
                    .execute(sq)?;
                if n == 1 {
                    ids.insert(intake.submission.id.clone());
                }
            }
            ids
        }
    })
}

/// Saves the keys; returns the submissions whose key another post already holds.
fn keys_lost<'a>(
    conn: &mut DbConnection,
    keyed: &[&'a IdempotencyRow],
) -> QueryResult<Vec<&'a str>> {
    if keyed.is_empty() {
        return Ok(Vec::new());
    }
    let saved: HashSet<String> = match conn {
        DbConnection::Pg(pg) => diesel::insert_into(idempotency_keys::table)
            .values(keyed.to_vec())
            .on_conflict((idempotency_keys::form, idempotency_keys::key))
            .do_nothing()
            .returning(idempotency_keys::submission_id)
            .get_results::<String>(pg)?
            .into_iter()
            .collect(),
        DbConnection::Sqlite(sq) => {
            let mut ids = HashSet::new();
            for key in keyed {
                if idempotency::save(sq, key)? {
                    ids.insert(key.submission_id.clone());
                }
            }
            ids
        }
    };
    Ok(keyed
        .iter()
        .map(|k| k.submission_id.as_str())
        .filter(|id| !saved.contains(*id))
        .collect())
}

/// The e-mails, events and acknowledgements of the submissions kept, each acknowledgement
/// decided in the batch's order under its caps.
fn the_rest(conn: &mut DbConnection, kept: &[&NewIntake]) -> QueryResult<()> {
    let mut mails: Vec<&NewOutboxRow> = kept.iter().flat_map(|i| &i.mails).collect();
    let mut events: Vec<NewEvent> = kept.iter().map(|i| i.event.clone()).collect();
    let acks: Vec<&Ack> = kept.iter().filter_map(|i| i.ack.as_ref()).collect();
    let mut logs: Vec<&AckRow> = Vec::new();
    if !acks.is_empty() {
        let mut counts = AckCounts::read(conn, &acks)?;
        for ack in acks {
            match counts.take(ack) {
                None => {
                    mails.push(&ack.mail);
                    logs.push(&ack.log);
                }
                Some(reason) => events.push(NewEvent {
                    detail: reason.to_owned(),
                    ..ack.skipped.clone()
                }),
            }
        }
    }
    if !mails.is_empty() {
        insert_rows!(conn, outbox::table, mails);
    }
    if !events.is_empty() {
        insert_rows!(conn, events::table, events);
    }
    if !logs.is_empty() {
        insert_rows!(conn, ack_log::table, logs);
    }
    Ok(())
}

/// The acknowledgements already counted against each mailbox and domain of a batch, read once
/// inside its transaction, then kept up to date as the batch's own acknowledgements are
/// decided in order (so neighbours in one batch count against each other exactly).
struct AckCounts {
    by_mailbox: HashMap<String, i64>,
    by_domain: HashMap<String, i64>,
}

impl AckCounts {
    fn read(conn: &mut DbConnection, acks: &[&Ack]) -> QueryResult<AckCounts> {
        // The batch's widest window and highest cap: a few microseconds wider at most, never
        // narrower, and each acknowledgement is then held to its own cap by `take`.
        let mut keys_m: Vec<&str> = acks.iter().map(|a| a.log.mailbox.as_str()).collect();
        let mut keys_d: Vec<&str> = acks.iter().map(|a| a.log.domain.as_str()).collect();
        for keys in [&mut keys_m, &mut keys_d] {
            keys.sort_unstable();
            keys.dedup();
        }
        let Some(first) = acks.first() else {
            return Ok(AckCounts {
                by_mailbox: HashMap::new(),
                by_domain: HashMap::new(),
            });
        };
        let caps = acks.iter().fold(first.caps, |c, a| AckCaps {
            per_mailbox: c.per_mailbox.max(a.caps.per_mailbox),
            mailbox_since: c.mailbox_since.min(a.caps.mailbox_since),
            per_domain: c.per_domain.max(a.caps.per_domain),
            domain_since: c.domain_since.min(a.caps.domain_since),
        });
        let (by_mailbox, by_domain) = acks::counts(conn, &keys_m, &keys_d, &caps)?;
        Ok(AckCounts {
            by_mailbox,
            by_domain,
        })
    }

    /// Which cap this acknowledgement meets (`AckCaps::cap_met`), or `None` when it goes, and
    /// is then counted against its mailbox and its domain.
    fn take(&mut self, ack: &Ack) -> Option<&'static str> {
        let mailbox = self.by_mailbox.get(&ack.log.mailbox).copied().unwrap_or(0);
        let domain = self.by_domain.get(&ack.log.domain).copied().unwrap_or(0);
        let met = ack.caps.cap_met(mailbox, domain);
        if met.is_none() {
            self.by_mailbox.insert(ack.log.mailbox.clone(), mailbox + 1);
            self.by_domain.insert(ack.log.domain.clone(), domain + 1);
        }
        met
    }
}
