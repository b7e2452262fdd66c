//! Group commit: several submissions, each with its e-mails, event, idempotency key and
//! acknowledgement, written in one transaction with one multi-row insert per table. A clash
//! (a reference or an idempotency key already taken) leaves that one submission out, whole,
//! and says so; its neighbours are written.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;

use super::acks::{self, Ack, AckCaps, AckRow, DOMAIN_CAP, MAILBOX_CAP};
use super::events::NewEvent;
use super::idempotency::IdempotencyRow;
use super::outbox::NewOutboxRow;
use super::schema::{ack_log, events, idempotency_keys, outbox, submissions};
use super::submissions::{insert_rows, insert_with_outbox, Stored, SubmissionRow};
use super::{write_tx, DbConnection, DbError};

/// Everything one submission writes. New kinds of rows that come with a submission belong
/// here, each written by `insert_batch` with its table's multi-row insert.
#[derive(Debug, Clone)]
pub struct NewIntake {
    pub submission: SubmissionRow,
    /// The team's notifications (the acknowledgement is `ack`, written under its caps).
    pub mails: Vec<NewOutboxRow>,
    pub event: NewEvent,
    pub key: Option<IdempotencyRow>,
    pub ack: Option<Ack>,
}

/// Writes one submission: the single-statement insert (PostgreSQL) or its transaction.
pub fn insert_one(conn: &mut DbConnection, intake: &NewIntake) -> Result<Stored, DbError> {
    insert_with_outbox(
        conn,
        &intake.submission,
        &intake.mails,
        &intake.event,
        intake.key.as_ref(),
        intake.ack.as_ref(),
    )
}

/// Writes a batch in one transaction and says what became of each, in order. One alone takes
/// `insert_one`'s single statement, so a submission with no company costs no more than before.
/// An error fails the whole batch (nothing written).
pub fn insert_batch(conn: &mut DbConnection, batch: &[NewIntake]) -> Result<Vec<Stored>, DbError> {
    if let [one] = batch {
        return Ok(vec![insert_one(conn, one)?]);
    }
    Ok(write_tx(conn, |conn| write_batch(conn, batch))?)
}

fn write_batch(
    conn: &mut DbConnection,
    batch: &[NewIntake],
) -> Result<Vec<Stored>, diesel::result::Error> {
    let mut fate = vec![Stored::Done; batch.len()];
    // Submissions first: a reference already taken (before, or by a neighbour) is skipped.
    let written: HashSet<String> = match conn {
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
    };
    for (i, intake) in batch.iter().enumerate() {
        if !written.contains(&intake.submission.id) {
            fate[i] = Stored::ReferenceTaken;
        }
    }
    // Then the idempotency keys of those written: a key already held means another post under
    // it came first, and this submission goes again (it has nothing else written yet).
    let keyed: Vec<&IdempotencyRow> = batch
        .iter()
        .zip(&fate)
        .filter(|(_, f)| **f == Stored::Done)
        .filter_map(|(i, _)| i.key.as_ref())
        .collect();
    if !keyed.is_empty() {
        let saved: HashSet<String> = match conn {
            DbConnection::Pg(pg) => diesel::insert_into(idempotency_keys::table)
                .values(keyed.clone())
                .on_conflict((idempotency_keys::form, idempotency_keys::key))
                .do_nothing()
                .returning(idempotency_keys::submission_id)
                .get_results::<String>(pg)?
                .into_iter()
                .collect(),
            DbConnection::Sqlite(sq) => {
                let mut ids = HashSet::new();
                for key in &keyed {
                    if super::idempotency::save(sq, key)? {
                        ids.insert(key.submission_id.clone());
                    }
                }
                ids
            }
        };
        let lost: Vec<&str> = keyed
            .iter()
            .map(|k| k.submission_id.as_str())
            .filter(|id| !saved.contains(*id))
            .collect();
        if !lost.is_empty() {
            diesel::delete(submissions::table.filter(submissions::id.eq_any(&lost)))
                .execute(conn)?;
            for (i, intake) in batch.iter().enumerate() {
                if lost.contains(&intake.submission.id.as_str()) {
                    fate[i] = Stored::KeyTaken;
                }
            }
        }
    }
    let kept: Vec<&NewIntake> = batch
        .iter()
        .zip(&fate)
        .filter(|(_, f)| **f == Stored::Done)
        .map(|(i, _)| i)
        .collect();
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
    Ok(fate)
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

    /// Which cap this acknowledgement meets, or `None` when it goes (and is counted).
    fn take(&mut self, ack: &Ack) -> Option<&'static str> {
        let mailbox = self.by_mailbox.entry(ack.log.mailbox.clone()).or_default();
        if *mailbox >= ack.caps.per_mailbox {
            return Some(MAILBOX_CAP);
        }
        let domain = self.by_domain.entry(ack.log.domain.clone()).or_default();
        if *domain >= ack.caps.per_domain {
            return Some(DOMAIN_CAP);
        }
        *domain += 1;
        if let Some(mailbox) = self.by_mailbox.get_mut(&ack.log.mailbox) {
            *mailbox += 1;
        }
        None
    }
}
