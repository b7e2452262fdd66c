//! A person's rights over their data, as the database sees them: their submissions found by
//! address (any case), the erasure of everything that holds the address (tombstones left, legal
//! holds spared), and the marketing opt-out.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::events::NewEvent;
use super::schema::{
    ack_log, corrections, duty_reminders, events, handovers, idempotency_keys, inbound_mail,
    login_throttle, messages, notes, outbox, signin_failures, submissions, tombstones,
};
use super::submissions::SubmissionRow;
use super::{write_tx, DbConnection, DbError};

mod mail;
pub use mail::sent_elsewhere;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// The submissions this address sent (any case), oldest first.
pub fn submissions_of(
    conn: &mut DbConnection,
    folded: &str,
) -> Result<Vec<SubmissionRow>, DbError> {
    if !super::searchable(folded) {
        return Ok(Vec::new());
    }
    Ok(submissions::table
        .filter(lower(submissions::email).eq(folded))
        .order((submissions::created_at.asc(), submissions::id.asc()))
        .select(SubmissionRow::as_select())
        .load(conn)?)
}

/// What the erasure found and did.
#[derive(Debug, Default)]
pub struct Erased {
    /// Rows removed (or, for `events` outside the erased submissions, emptied), per table.
    pub tables: BTreeMap<&'static str, usize>,
    /// E-mails that were still waiting to leave, cancelled.
    pub cancelled_emails: usize,
    /// The references erased, each leaving a tombstone.
    pub references: Vec<String>,
    /// The references on legal hold, left alone.
    pub held: Vec<String>,
}

/// One erased submission's facts, kept in its tombstone.
/// A submission of the address, and whether it is on legal hold.
type Facts = (super::retention::DueSubmission, bool);

/// What an event's detail becomes when it named the address.
pub const ERASED_DETAIL: &str = r#"{"erased":true}"#;

impl Erased {
    fn count(&mut self, table: &'static str, n: usize) {
        *self.tables.entry(table).or_insert(0) += n;
    }
}

/// Removes everything that holds this address: its submissions (with their messages, raw mail
/// included, notes, e-mails, idempotency keys, reminders and hand-overs; their events kept with
/// no details), a tombstone left for each; then its traces elsewhere (mail it sent into other
/// readers' threads, with the message and the team's notice it made there; unmatched mail that
/// it sent or that names it, bounces included; events and e-mails naming it; the sign-in
/// throttle; the acknowledgements' log by `mailbox_hash`). Submissions on legal hold, and
/// everything attached to them, are left alone. One transaction, with `audit`.
pub fn erase(
    conn: &mut DbConnection,
    folded: &str,
    mailbox_hash: &str,
    now: NaiveDateTime,
    audit: impl FnOnce(&Erased) -> NewEvent,
) -> Result<Erased, DbError> {
    if !super::searchable(folded) || folded.is_empty() {
        return Ok(Erased::default());
    }
    let erased = write_tx(conn, |conn| -> Result<Erased, DbError> {
        let found: Vec<Facts> = submissions::table
            .filter(lower(submissions::email).eq(folded))
            .order((submissions::created_at.asc(), submissions::id.asc()))
            .select((
                super::retention::DueSubmission::as_select(),
                submissions::legal_hold,
            ))
            .load(conn)?;
        let mut erased = Erased::default();
        let (mut ids, mut held_ids) = (Vec::new(), Vec::new());
        for (submission, held) in &found {
            if *held {
                erased.held.push(submission.reference.clone());
                held_ids.push(submission.id.clone());
            } else {
                ids.push(submission.id.clone());
                erased.references.push(submission.reference.clone());
            }
        }
        erased.cancelled_emails = count_what_goes_with(conn, &ids, &mut erased)?;
        let unheld = found.iter().filter(|f| !f.1).map(|f| &f.0);
        erase_submissions(conn, unheld, &ids, now, &mut erased)?;
        erase_traces_elsewhere(conn, folded, mailbox_hash, &held_ids, &mut erased)?;
        diesel::insert_into(events::table)
            .values(audit(&erased))
            .execute(conn)?;
        Ok(erased)
    })?;
    // The erasure is made; what the write-ahead log still holds of before goes too.
    match super::truncate_wal(conn) {
        Ok(true) => {}
        Ok(false) => tracing::warn!("erasure: the write-ahead log is in use, not truncated yet"),
        Err(e) => tracing::warn!(error = %e, "erasure: truncating the write-ahead log failed"),
    }
    Ok(erased)
}

/// The rows of a table that hang on these submissions.
macro_rules! rows_of {
    ($conn:expr, $table:ident, $ids:expr) => {
        $table::table
            .filter($table::submission_id.eq_any($ids))
            .count()
            .get_result::<i64>($conn)? as usize
    };
}

/// Counts what goes with the submissions `ids`, before the cascade takes it; returns how many
/// of their e-mails were still waiting to leave.
fn count_what_goes_with(
    conn: &mut DbConnection,
    ids: &[String],
    erased: &mut Erased,
) -> Result<usize, DbError> {
    erased.count("messages", rows_of!(conn, messages, ids));
    erased.count("notes", rows_of!(conn, notes, ids));
    erased.count("events", rows_of!(conn, events, ids));
    erased.count("idempotency_keys", rows_of!(conn, idempotency_keys, ids));
    erased.count("inbound_mail", rows_of!(conn, inbound_mail, ids));
    erased.count("duty_reminders", rows_of!(conn, duty_reminders, ids));
    let handed_over = handovers::table
        .filter(
            handovers::editorial_id
                .eq_any(ids)
                .or(handovers::commercial_id.eq_any(ids)),
        )
        .count()
        .get_result::<i64>(conn)? as usize;
    erased.count("handovers", handed_over);
    erased.count("outbox", rows_of!(conn, outbox, ids));
    Ok(outbox::table
        .filter(outbox::submission_id.eq_any(ids))
        .filter(outbox::status.eq("pending"))
        .count()
        .get_result::<i64>(conn)? as usize)
}

/// Erases the submissions `ids` (the `unheld` of the address), each leaving a tombstone; their
/// events stay, emptied, and a published correction stays, unlinked.
fn erase_submissions<'a>(
    conn: &mut DbConnection,
    unheld: impl Iterator<Item = &'a super::retention::DueSubmission>,
    ids: &[String],
    now: NaiveDateTime,
    erased: &mut Erased,
) -> Result<(), DbError> {
    // A published correction stays public; it only loses its link to the request.
    diesel::update(corrections::table.filter(corrections::submission_id.eq_any(ids)))
        .set(corrections::submission_id.eq(None::<String>))
        .execute(conn)?;
    // The same tombstone as a purge leaves, without the outcome's details.
    for d in unheld {
        let tombstone = super::retention::TombstoneRow::of(d, None, "erasure", now);
        diesel::insert_into(tombstones::table)
            .values(&tombstone)
            .execute(conn)?;
    }
    // Their audit trail stays (kinds, actors, times), without any details.
    diesel::update(events::table.filter(events::submission_id.eq_any(ids)))
        .set(events::detail.eq("{}"))
        .execute(conn)?;
    // Messages point at their e-mails: they go first, then the submissions take the rest
    // with them (ON DELETE CASCADE).
    diesel::delete(messages::table.filter(messages::submission_id.eq_any(ids))).execute(conn)?;
    let gone =
        diesel::delete(submissions::table.filter(submissions::id.eq_any(ids))).execute(conn)?;
    erased.count("submissions", gone);
    Ok(())
}

/// Erases the address's traces outside its own submissions (and outside those on hold): mail
/// it sent onto other threads or that matched nothing, the notices quoting it, unmatched mail
/// and e-mails naming it, events naming it (kept, emptied), the sign-in throttle's rows and the
/// acknowledgements' log.
fn erase_traces_elsewhere(
    conn: &mut DbConnection,
    folded: &str,
    mailbox_hash: &str,
    held_ids: &[String],
    erased: &mut Erased,
) -> Result<(), DbError> {
    let pattern = format!("%{}%", escape_like(folded));
    let mail = mail::erase(conn, folded, &pattern, held_ids)?;
    erased.count("inbound_mail", mail.inbound_mail);
    erased.count("messages", mail.messages);
    erased.count("outbox", mail.outbox);
    erased.cancelled_emails += mail.cancelled;
    let events_named = diesel::update(
        events::table
            .filter(lower(events::detail).like(&pattern).escape('\\'))
            .filter(
                events::submission_id
                    .is_null()
                    .or(events::submission_id.ne_all(held_ids)),
            ),
    )
    .set(events::detail.eq(ERASED_DETAIL))
    .execute(conn)?;
    erased.count("events", events_named);
    let throttled =
        diesel::delete(login_throttle::table.filter(lower(login_throttle::email).eq(folded)))
            .execute(conn)?;
    erased.count("login_throttle", throttled);
    let failures =
        diesel::delete(signin_failures::table.filter(lower(signin_failures::email).eq(folded)))
            .execute(conn)?;
    erased.count("signin_failures", failures);
    let acks =
        diesel::delete(ack_log::table.filter(ack_log::mailbox.eq(mailbox_hash))).execute(conn)?;
    erased.count("ack_log", acks);
    Ok(())
}

/// Records the withdrawal of the marketing opt-in on every submission of the address the
/// reference's submission came from, with `audit` on that submission; `None` when the
/// reference names nothing. Withdrawing twice changes nothing: the first time stays.
pub fn withdraw_marketing(
    conn: &mut DbConnection,
    reference: &str,
    now: NaiveDateTime,
    audit: impl FnOnce(&str) -> NewEvent,
) -> Result<Option<usize>, DbError> {
    write_tx(conn, |conn| {
        let found: Option<(String, String)> = submissions::table
            .filter(submissions::reference.eq(reference))
            .select((submissions::id, submissions::email))
            .first(conn)
            .optional()?;
        let Some((id, email)) = found else {
            return Ok(None);
        };
        let changed = diesel::update(
            submissions::table
                .filter(lower(submissions::email).eq(email.to_lowercase()))
                .filter(submissions::marketing_withdrawn_at.is_null()),
        )
        .set(submissions::marketing_withdrawn_at.eq(now))
        .execute(conn)?;
        if changed > 0 {
            diesel::insert_into(events::table)
                .values(audit(&id))
                .execute(conn)?;
        }
        Ok(Some(changed))
    })
}

/// When the reader of a submission (by reference) withdrew the marketing opt-in: `None` when
/// there is no such submission, `Some(None)` while they have not.
pub fn withdrawn_at(
    conn: &mut DbConnection,
    reference: &str,
) -> Result<Option<Option<NaiveDateTime>>, DbError> {
    Ok(submissions::table
        .filter(submissions::reference.eq(reference))
        .select(submissions::marketing_withdrawn_at)
        .first(conn)
        .optional()?)
}

/// An audit event of a data-protection request (no submission).
pub fn record_event(conn: &mut DbConnection, event: &NewEvent) -> Result<(), DbError> {
    diesel::insert_into(events::table)
        .values(event)
        .execute(conn)?;
    Ok(())
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
