//! Storing a submission together with the e-mails and the audit event it causes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{events, outbox, submissions};
use super::{write_tx, DbConnection, DbError};

/// Inserts a slice of rows: one multi-row statement on PostgreSQL. Multi-row inserts do not pass
/// through the multi-backend connection, and SQLite's own opens a transaction of its own, so
/// SQLite gets one statement per row (cheap inside the caller's transaction).
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            DbConnection::Pg(pg) => diesel::insert_into($table).values($rows).execute(pg)?,
            DbConnection::Sqlite(sq) => {
                let mut n = 0;
                for row in $rows {
                    n += diesel::insert_into($table).values(row).execute(sq)?;
                }
                n
            }
        }
    };
}

#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = submissions)]
pub struct SubmissionRow {
    pub id: String,
    pub reference: String,
    pub form: String,
    pub topic: String,
    pub queue: String,
    pub status: String,
    pub priority: String,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub organisation: Option<String>,
    pub subject: Option<String>,
    pub message: String,
    pub article_url: Option<String>,
    pub article_title: Option<String>,
    pub locale: String,
    pub consent: bool,
    pub consent_version: String,
    pub consent_at: NaiveDateTime,
    pub marketing_opt_in: bool,
    pub client_ip_hash: Option<String>,
    pub user_agent: Option<String>,
    pub assignee_id: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub first_response_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub deadline_at: Option<NaiveDateTime>,
}

/// An e-mail waiting in the outbox.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox)]
pub struct NewOutboxRow {
    pub id: String,
    pub submission_id: String,
    pub purpose: String,
    pub from_addr: String,
    pub recipients: String,
    pub reply_to: Option<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = events)]
pub struct NewEvent {
    pub id: String,
    pub submission_id: Option<String>,
    pub actor: String,
    pub kind: String,
    pub detail: String,
    pub created_at: NaiveDateTime,
}

/// Writes the submission, its e-mails and its event in one transaction: all or nothing.
pub fn insert_with_outbox(
    conn: &mut DbConnection,
    submission: &SubmissionRow,
    mails: &[NewOutboxRow],
    event: &NewEvent,
) -> Result<(), DbError> {
    write_tx(conn, |conn| {
        diesel::insert_into(submissions::table)
            .values(submission)
            .execute(conn)?;
        insert_rows!(conn, outbox::table, mails);
        diesel::insert_into(events::table)
            .values(event)
            .execute(conn)?;
        Ok(())
    })
}

/// A submission by its public reference.
pub fn by_reference(conn: &mut DbConnection, reference: &str) -> Result<SubmissionRow, DbError> {
    Ok(submissions::table
        .filter(submissions::reference.eq(reference))
        .select(SubmissionRow::as_select())
        .first(conn)?)
}

/// Inserts many rows at once (seeding).
pub fn insert_many(conn: &mut DbConnection, rows: &[SubmissionRow]) -> Result<usize, DbError> {
    write_tx(conn, |conn| {
        Ok(insert_rows!(conn, submissions::table, rows))
    })
}
