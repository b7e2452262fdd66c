//! The intake write: a submission with the e-mails, the audit event, the idempotency key and the
//! acknowledgement it causes, all or nothing. One submission is written by PostgreSQL's single
//! statement (`postgres`) or SQLite's transaction (`sqlite`); several handed over together by
//! group commit share one transaction (`batch`). The acknowledgement's caps are decided by one
//! rule, `acks::AckCaps::cap_met`, which `ack.sql` states again in SQL for the single statement.

use super::acks::Ack;
use super::events::NewEvent;
use super::idempotency::IdempotencyRow;
use super::outbox::NewOutboxRow;
use super::submissions::SubmissionRow;
use super::{DbConnection, DbError};

mod batch;
mod postgres;
mod sqlite;
mod statement;

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
use insert_rows;

/// Everything one submission writes. New kinds of rows that come with a submission belong
/// here, each written by the single statement, the transaction and the batch.
#[derive(Debug, Clone)]
pub struct NewIntake {
    pub submission: SubmissionRow,
    /// The team's notifications (the acknowledgement is `ack`, written under its caps).
    pub mails: Vec<NewOutboxRow>,
    pub event: NewEvent,
    pub key: Option<IdempotencyRow>,
    pub ack: Option<Ack>,
}

/// What became of a submission written with its e-mails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    Done,
    /// Another submission already holds this reference: nothing was written.
    ReferenceTaken,
    /// Another post under the same idempotency key was stored first: nothing was written.
    KeyTaken,
}

/// Writes one submission, its e-mails, its event and its idempotency key: all or nothing. A
/// clash on the reference or the key is told apart by the constraint's name (PostgreSQL) or by
/// `ON CONFLICT DO NOTHING` and the rows it wrote (SQLite), never by the text of an error
/// message.
pub fn insert_one(conn: &mut DbConnection, intake: &NewIntake) -> Result<Stored, DbError> {
    match conn {
        DbConnection::Pg(pg) => postgres::insert(pg, intake),
        DbConnection::Sqlite(_) => sqlite::insert(conn, intake),
    }
}

/// Writes a batch in one transaction and says what became of each, in order. One alone takes
/// `insert_one`'s single statement, so a submission with no company costs no more than before.
/// An error fails the whole batch (nothing written).
pub fn insert_batch(conn: &mut DbConnection, batch: &[NewIntake]) -> Result<Vec<Stored>, DbError> {
    if let [one] = batch {
        return Ok(vec![insert_one(conn, one)?]);
    }
    Ok(super::write_tx(conn, |conn| batch::write(conn, batch))?)
}
