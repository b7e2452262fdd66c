//! The conversation with the reader: staff replies (and, later, the reader's answers), each
//! with its e-mail in the outbox.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::events::NewEvent;
use super::outbox::NewOutboxRow;
use super::schema::{events, messages, outbox, submissions};
use super::{write_tx, DbConnection, DbError};

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

/// Queues the reply's e-mail, keeps the reply, and sets the first-response time if unset.
/// `NotFound` when the submission was erased or purged since the caller read it.
pub fn add_reply(
    conn: &mut DbConnection,
    mail: &NewOutboxRow,
    reply: &MessageRow,
    event: &NewEvent,
) -> Result<(), DbError> {
    write_tx(conn, |conn| {
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
        if let Some(author) = &reply.author_id {
            super::activity::touch(
                conn,
                &reply.submission_id,
                super::activity::Actor::Staff(author),
                reply.created_at,
            )?;
        }
        Ok(())
    })
    .map_err(DbError::parent_gone)
}
