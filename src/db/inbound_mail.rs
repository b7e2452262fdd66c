//! Every message that came in (`inbound_mail`): its row, the lookups that match it to a
//! submission, and the writes that store it with what it causes, each in one transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::events::NewEvent;
use super::messages::MessageRow;
use super::outbox::NewOutboxRow;
use super::schema::{events, inbound_mail, messages, outbox, submissions};
use super::{write_tx, DbConnection, DbError};
use crate::domain::Status;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = inbound_mail)]
pub struct InboundMailRow {
    pub id: String,
    pub submission_id: Option<String>,
    pub dedupe_key: String,
    pub message_id: Option<String>,
    pub sender: String,
    pub recipients: String,
    pub subject: String,
    pub full_text: String,
    pub body: String,
    /// JSON: `[{"name", "type", "size"}]`.
    pub attachments: String,
    pub raw: Vec<u8>,
    /// `reply`, `new_submission`, `unmatched`, `ignored` or `bounce`.
    pub outcome: String,
    /// Why it triggered nothing (`auto_submitted`, `bulk`, `sender_limit`, …), if so.
    pub reason: Option<String>,
    pub created_at: NaiveDateTime,
}

/// The list's view of a message: all but its raw bytes.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = inbound_mail)]
pub struct InboundSummary {
    pub id: String,
    pub submission_id: Option<String>,
    pub message_id: Option<String>,
    pub sender: String,
    pub recipients: String,
    pub subject: String,
    pub full_text: String,
    pub body: String,
    pub attachments: String,
    pub outcome: String,
    pub reason: Option<String>,
    pub created_at: NaiveDateTime,
}

/// The PostgreSQL name of the unique constraint on `dedupe_key`.
const PG_DEDUPE_CONSTRAINT: &str = "inbound_mail_dedupe_key_key";

/// What a write found: stored, or the same message stored before, or its submission gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    Stored,
    /// Already here, under this id.
    Duplicate(String),
    /// The submission it was to be stored on is no longer there (erased or purged since it was
    /// matched, or while it was being written): nothing was written.
    SubmissionGone,
}

/// The message already stored under this key, if any.
pub fn by_dedupe_key(conn: &mut DbConnection, key: &str) -> Result<Option<String>, DbError> {
    if !super::searchable(key) {
        return Ok(None);
    }
    Ok(inbound_mail::table
        .filter(inbound_mail::dedupe_key.eq(key))
        .select(inbound_mail::id)
        .first(conn)
        .optional()?)
}

/// The message already stored that one with this key, Message-ID and sender is a second
/// delivery of: the one stored under the key; or, stored before keys were digests (its key the
/// bare Message-ID), the one under that Message-ID from the same sender.
pub fn stored_before(
    conn: &mut DbConnection,
    key: &str,
    message_id: Option<&str>,
    sender: &str,
) -> Result<Option<String>, DbError> {
    if let Some(id) = by_dedupe_key(conn, key)? {
        return Ok(Some(id));
    }
    let Some(message_id) = message_id.filter(|m| super::searchable(m)) else {
        return Ok(None);
    };
    if !super::searchable(sender) {
        return Ok(None);
    }
    Ok(inbound_mail::table
        .filter(inbound_mail::dedupe_key.eq(message_id))
        .filter(inbound_mail::sender.eq(sender))
        .select(inbound_mail::id)
        .first(conn)
        .optional()?)
}

/// The submission of the first of these Message-IDs that Courrier sent (or took in).
pub fn thread_of(conn: &mut DbConnection, ids: &[String]) -> Result<Option<String>, DbError> {
    let ids: Vec<&String> = ids.iter().filter(|i| super::searchable(i)).collect();
    for id in ids {
        let sent: Option<String> = outbox::table
            .filter(outbox::message_id.eq(id))
            .select(outbox::submission_id)
            .first::<Option<String>>(conn)
            .optional()?
            .flatten();
        if sent.is_some() {
            return Ok(sent);
        }
        let kept: Option<String> = messages::table
            .filter(messages::message_id.eq(id))
            .select(messages::submission_id)
            .first(conn)
            .optional()?;
        if kept.is_some() {
            return Ok(kept);
        }
    }
    Ok(None)
}

/// Whether Courrier itself sent a message with this Message-ID.
pub fn sent_by_us(conn: &mut DbConnection, id: &str) -> Result<Option<String>, DbError> {
    if !super::searchable(id) {
        return Ok(None);
    }
    Ok(outbox::table
        .filter(outbox::message_id.eq(id))
        .select(outbox::submission_id)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

/// Messages from this sender since then.
pub fn count_from(
    conn: &mut DbConnection,
    sender: &str,
    since: NaiveDateTime,
    cap: i64,
) -> Result<i64, DbError> {
    // Counting stops at the cap: a flood costs no more to count than the limit.
    let ids: Vec<String> = inbound_mail::table
        .filter(inbound_mail::sender.eq(sender))
        .filter(inbound_mail::created_at.gt(since))
        .select(inbound_mail::id)
        .limit(cap)
        .load(conn)?;
    Ok(i64::try_from(ids.len()).unwrap_or(i64::MAX))
}

/// A delivery report's effect on the e-mail it names.
#[derive(Debug)]
pub struct BounceEffect {
    pub outbox_id: String,
    pub status: String,
    pub diagnostic: Option<String>,
    /// A permanent failure: the submission and the address whose pending mail is held.
    pub hold: Option<(String, String)>,
}

/// What storing a message does besides keeping it.
#[derive(Debug, Default)]
pub struct Effects {
    pub bounce: Option<BounceEffect>,
    /// Shown on the thread.
    pub message: Option<MessageRow>,
    /// `waiting`/`resolved` → `open`, with its event.
    pub reopen: Option<NewEvent>,
    pub events: Vec<NewEvent>,
    pub mails: Vec<NewOutboxRow>,
}

/// Stores a message with its effects in one transaction; a message stored before (same
/// dedupe key) is left alone, and nothing else is written; so is one whose submission is gone.
pub fn store(
    conn: &mut DbConnection,
    row: &InboundMailRow,
    effects: &Effects,
) -> Result<Written, DbError> {
    enum Abort {
        Duplicate(String),
        Gone,
        Db(DbError),
    }
    impl From<diesel::result::Error> for Abort {
        fn from(e: diesel::result::Error) -> Self {
            use diesel::result::{DatabaseErrorKind, Error};
            match e {
                // The submission went between the check below and the insert (PostgreSQL,
                // an erasure committed meanwhile).
                Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => Abort::Gone,
                e => Abort::Db(e.into()),
            }
        }
    }
    let result = write_tx(conn, |conn| {
        let before = stored_before(
            conn,
            &row.dedupe_key,
            row.message_id.as_deref(),
            &row.sender,
        );
        if let Some(id) = before.map_err(Abort::Db)? {
            return Err(Abort::Duplicate(id));
        }
        if let Some(submission) = &row.submission_id {
            let there = submissions::table
                .find(submission)
                .select(submissions::id)
                .first::<String>(conn)
                .optional()?;
            if there.is_none() {
                return Err(Abort::Gone);
            }
        }
        diesel::insert_into(inbound_mail::table)
            .values(row)
            .execute(conn)?;
        if let Some(message) = &effects.message {
            diesel::insert_into(messages::table)
                .values(message)
                .execute(conn)?;
        }
        if let (Some(event), Some(submission)) = (&effects.reopen, &row.submission_id) {
            let changed = diesel::update(
                submissions::table
                    .find(submission)
                    .filter(submissions::status.eq_any([Status::Waiting, Status::Resolved])),
            )
            .set((
                submissions::status.eq(Status::Open),
                submissions::resolved_at.eq(None::<NaiveDateTime>),
                submissions::updated_at.eq(row.created_at),
                submissions::version.eq(submissions::version + 1),
            ))
            .execute(conn)?;
            if changed > 0 {
                // Recorded with the version it made: a colleague's edit of another field
                // since still merges.
                let version: i32 = submissions::table
                    .find(submission)
                    .select(submissions::version)
                    .first(conn)?;
                diesel::insert_into(events::table)
                    .values(&event.at_version(version))
                    .execute(conn)?;
            }
            // The reader answered (an automatic reply never gets here).
            super::activity::touch(
                conn,
                submission,
                super::activity::Actor::Reader,
                row.created_at,
            )
            .map_err(Abort::Db)?;
        }
        if let Some(b) = &effects.bounce {
            super::bounces::record(
                conn,
                &b.outbox_id,
                &b.status,
                b.diagnostic.as_deref(),
                b.hold.as_ref().map(|(s, a)| (s.as_str(), a.as_str())),
            )
            .map_err(Abort::Db)?;
        }
        for event in &effects.events {
            diesel::insert_into(events::table)
                .values(event)
                .execute(conn)?;
        }
        for mail in &effects.mails {
            diesel::insert_into(outbox::table)
                .values(mail)
                .execute(conn)?;
        }
        Ok(())
    });
    match result {
        Ok(()) => Ok(Written::Stored),
        Err(Abort::Duplicate(id)) => Ok(Written::Duplicate(id)),
        Err(Abort::Gone) => Ok(Written::SubmissionGone),
        // Two deliveries of one message at the same moment (PostgreSQL): the other won.
        Err(Abort::Db(DbError::UniqueViolation(name))) if name == PG_DEDUPE_CONSTRAINT => {
            Ok(Written::Duplicate(String::new()))
        }
        Err(Abort::Db(e)) => Err(e),
    }
}

/// Gives a message kept as unmatched (under this key) the reason it was parked; its id, if
/// such a message is there.
pub fn park(conn: &mut DbConnection, key: &str, reason: &str) -> Result<Option<String>, DbError> {
    if !super::searchable(key) {
        return Ok(None);
    }
    super::write(conn, |conn| {
        let id: Option<String> = inbound_mail::table
            .filter(inbound_mail::dedupe_key.eq(key))
            .filter(inbound_mail::submission_id.is_null())
            .filter(inbound_mail::outcome.eq("unmatched"))
            .select(inbound_mail::id)
            .first(conn)
            .optional()?;
        if let Some(id) = &id {
            diesel::update(inbound_mail::table.find(id))
                .set(inbound_mail::reason.eq(reason))
                .execute(conn)?;
        }
        Ok(id)
    })
}

/// Links a message kept as unmatched to the submission it became.
pub fn link(
    conn: &mut DbConnection,
    id: &str,
    submission_id: &str,
    outcome: &str,
) -> Result<(), DbError> {
    super::write(conn, |conn| {
        diesel::update(inbound_mail::table.find(id))
            .set((
                inbound_mail::submission_id.eq(submission_id),
                inbound_mail::outcome.eq(outcome),
                inbound_mail::reason.eq(None::<String>),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Messages that matched no submission, newest first.
pub fn unmatched(conn: &mut DbConnection, limit: i64) -> Result<Vec<InboundSummary>, DbError> {
    Ok(inbound_mail::table
        .filter(inbound_mail::submission_id.is_null())
        .order((inbound_mail::created_at.desc(), inbound_mail::id.desc()))
        .select(InboundSummary::as_select())
        .limit(limit)
        .load(conn)?)
}

/// The inbound messages of a submission, oldest first (without their raw bytes).
pub fn of_submission(
    conn: &mut DbConnection,
    submission_id: &str,
) -> Result<Vec<InboundSummary>, DbError> {
    Ok(inbound_mail::table
        .filter(inbound_mail::submission_id.eq(submission_id))
        .order((inbound_mail::created_at.asc(), inbound_mail::id.asc()))
        .select(InboundSummary::as_select())
        .load(conn)?)
}

/// The raw bytes of one inbound message of a submission.
pub fn raw(
    conn: &mut DbConnection,
    submission_id: &str,
    id: &str,
) -> Result<Option<Vec<u8>>, DbError> {
    if !super::searchable(id) {
        return Ok(None);
    }
    Ok(inbound_mail::table
        .filter(inbound_mail::id.eq(id))
        .filter(inbound_mail::submission_id.eq(submission_id))
        .select(inbound_mail::raw)
        .first(conn)
        .optional()?)
}

/// A submission by id.
pub fn submission(
    conn: &mut DbConnection,
    id: &str,
) -> Result<Option<super::submissions::SubmissionRow>, DbError> {
    Ok(submissions::table
        .find(id)
        .select(super::submissions::SubmissionRow::as_select())
        .first(conn)
        .optional()?)
}

/// A submission by reference.
pub fn submission_by_reference(
    conn: &mut DbConnection,
    reference: &str,
) -> Result<Option<super::submissions::SubmissionRow>, DbError> {
    if !super::searchable(reference) {
        return Ok(None);
    }
    Ok(submissions::table
        .filter(submissions::reference.eq(reference))
        .select(super::submissions::SubmissionRow::as_select())
        .first(conn)
        .optional()?)
}

/// The Message-ID of a submission's first team notification, which notices thread under.
pub fn team_notice_id(
    conn: &mut DbConnection,
    submission_id: &str,
) -> Result<Option<String>, DbError> {
    Ok(outbox::table
        .filter(outbox::submission_id.eq(submission_id))
        .filter(outbox::purpose.eq(crate::domain::MailPurpose::TeamNotification))
        .order(outbox::created_at.asc())
        .select(outbox::message_id)
        .first(conn)
        .optional()?)
}
