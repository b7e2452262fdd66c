//! The submission's row, a lookup by reference, and the seed's bulk insert. A submission
//! received is written with all it causes by `db::intake`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::submissions;
use super::{write_tx, DbConnection, DbError};
use crate::domain::{
    Channel, Desk, FormKind, Locale, OutcomeKind, Priority, QueueName, Status, Topic,
};

#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = submissions)]
pub struct SubmissionRow {
    pub id: String,
    pub reference: String,
    pub form: FormKind,
    pub topic: Topic,
    pub queue: QueueName,
    pub status: Status,
    pub priority: Priority,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub organisation: Option<String>,
    pub subject: Option<String>,
    pub message: String,
    pub article_url: Option<String>,
    pub article_title: Option<String>,
    pub locale: Locale,
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
    /// Why it was quarantined as suspected spam; `None` when it was not.
    pub spam_reason: Option<String>,
    /// What staff should know about the text, comma-separated (e.g. `bidi`).
    pub flags: String,
    /// Follows from the form, computed by the database (never written).
    #[diesel(skip_insertion)]
    pub desk: Desk,
    /// A form post (`web`) or an e-mail to a queue's address (`email`).
    pub channel: Channel,
    /// When the article the form was on was published (right of reply's three months).
    pub article_published_at: Option<NaiveDate>,
    /// How a right of reply or a correction was closed; set by staff, never at intake.
    #[diesel(skip_insertion)]
    pub outcome_kind: Option<OutcomeKind>,
    /// The outcome's details, as JSON.
    #[diesel(skip_insertion)]
    pub outcome: Option<String>,
    /// The SHA-256 of the consent text shown (version `consent_version`, the reader's language).
    pub consent_text_sha256: Option<String>,
    /// Staff hold it (a dispute, say): the retention purge and the erasure leave it alone.
    #[diesel(skip_insertion)]
    pub legal_hold: bool,
    /// The last activity on it (received, a reader's message, a reply, a note, a status or
    /// assignee change): the triage list's order and the unread markers' clock.
    pub last_activity_at: NaiveDateTime,
    /// When the reader last wrote (the submission itself, or an e-mailed answer).
    pub last_reader_at: NaiveDateTime,
    /// When staff last acted on it (a reply, a note, a status or assignee change).
    pub last_staff_at: Option<NaiveDateTime>,
}

/// A submission by its public reference.
pub fn by_reference(conn: &mut DbConnection, reference: &str) -> Result<SubmissionRow, DbError> {
    Ok(submissions::table
        .filter(submissions::reference.eq(reference))
        .select(SubmissionRow::as_select())
        .first(conn)?)
}

/// Inserts many rows at once (seeding); a row whose reference is taken is skipped. Returns how
/// many were written.
pub fn insert_many(conn: &mut DbConnection, rows: &[SubmissionRow]) -> Result<usize, DbError> {
    write_tx(conn, |conn| {
        Ok(match conn {
            DbConnection::Pg(pg) => diesel::insert_into(submissions::table)
                .values(rows)
                .on_conflict(submissions::reference)
                .do_nothing()
                .execute(pg)?,
            DbConnection::Sqlite(sq) => {
                let mut n = 0;
                for row in rows {
                    n += diesel::insert_into(submissions::table)
                        .values(row)
                        .on_conflict(submissions::reference)
                        .do_nothing()
                        .execute(sq)?;
                }
                n
            }
        })
    })
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// One of a reader's other submissions, as the reader's history lists it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = submissions)]
pub struct HistoryRow {
    pub id: String,
    pub reference: String,
    pub topic: Topic,
    pub subject: Option<String>,
    pub status: Status,
    pub created_at: NaiveDateTime,
}

/// The other submissions of the same address (any case) on `desks`, newest first, at most
/// `limit`. Erased and purged ones are gone from the table, so never listed.
pub fn of_reader(
    conn: &mut DbConnection,
    folded: &str,
    desks: &[Desk],
    except: &str,
    limit: i64,
) -> Result<Vec<HistoryRow>, DbError> {
    Ok(submissions::table
        .filter(lower(submissions::email).eq(folded))
        .filter(submissions::desk.eq_any(desks.to_vec()))
        .filter(submissions::id.ne(except))
        .order((submissions::created_at.desc(), submissions::id.desc()))
        .limit(limit)
        .select(HistoryRow::as_select())
        .load(conn)?)
}
