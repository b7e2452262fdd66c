//! The conversation with the reader: staff replies (and, later, the reader's answers), each
//! with its e-mail in the outbox.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::events::NewEvent;
use super::outbox::NewOutboxRow;
use super::schema::{events, messages, outbox, submissions};
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = messages)]
pub struct MessageRow {
    pub id: String,
    pub submission_id: String,
    pub direction: String,
    pub author_id: Option<String>,
    pub outbox_id: Option<String>,
    pub message_id: String,
    pub subject: String,
    pub body: String,
    pub created_at: NaiveDateTime,
}

/// The Message-ID of the reader's acknowledgement, which replies thread under.
pub fn acknowledgement_id(
    conn: &mut DbConnection,
    submission_id: &str,
) -> Result<Option<String>, DbError> {
    Ok(outbox::table
        .filter(outbox::submission_id.eq(submission_id))
        .filter(outbox::purpose.eq(crate::domain::MailPurpose::ReaderAck))
        .select(outbox::message_id)
        .first(conn)
        .optional()?)
}

/// The ids of a submission's thread (staff replies and the reader's messages), oldest first:
/// the order the detail's `messages` shows them in.
pub fn thread_ids(conn: &mut DbConnection, submission_id: &str) -> Result<Vec<String>, DbError> {
    Ok(messages::table
        .filter(messages::submission_id.eq(submission_id))
        .order((messages::created_at.asc(), messages::id.asc()))
        .select(messages::id)
        .load(conn)?)
}

/// Queues the reply's e-mail, keeps the reply, and sets the first-response time if unset,
/// inside the caller's transaction; `NotFound` when the submission was erased or purged since
/// the caller read it. The submission's version does not move: a reply changes
/// none of its fields.
pub fn insert_reply(
    conn: &mut DbConnection,
    mail: &NewOutboxRow,
    reply: &MessageRow,
    event: &NewEvent,
) -> Result<(), DbError> {
    let mut write = || -> Result<(), DbError> {
        diesel::insert_into(outbox::table)
            .values(mail)
            .execute(conn)?;
        diesel::insert_into(messages::table)
            .values(reply)
            .execute(conn)?;
        diesel::update(
            submissions::table
                .find(&reply.submission_id)
                .filter(submissions::first_response_at.is_null()),
        )
        .set(submissions::first_response_at.eq(reply.created_at))
        .execute(conn)?;
        diesel::insert_into(events::table)
            .values(event)
            .execute(conn)?;
        staff_replied(conn, reply)
    };
    // Erased or purged since the caller read it: not found, not a foreign-key failure.
    write().map_err(DbError::parent_gone)
}

/// A staff reply is activity on the triage list, seen by its author (a reply with no author,
/// the command line's, moves nothing). Inside the caller's transaction.
pub(super) fn staff_replied(conn: &mut DbConnection, reply: &MessageRow) -> Result<(), DbError> {
    if let Some(author) = &reply.author_id {
        super::activity::touch(
            conn,
            &reply.submission_id,
            super::activity::Actor::Staff(author),
            reply.created_at,
        )?;
    }
    Ok(())
}
