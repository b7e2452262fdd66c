//! One submission on SQLite: a write transaction, rolled back whole on a clash.

use diesel::prelude::*;

use super::{insert_rows, NewIntake, Stored};
use crate::db::acks::Ack;
use crate::db::events::NewEvent;
use crate::db::schema::{ack_log, events, outbox, submissions};
use crate::db::{idempotency, write_tx, DbConnection, DbError};

/// Why the transaction stopped: a clash it recognises (then rolled back), or a failure.
enum Abort {
    Clash(Stored),
    Db(diesel::result::Error),
    Store(DbError),
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Abort::Db(e)
    }
}

/// Writes the submission and all that comes with it in one transaction. A reference or an
/// idempotency key already taken is seen by `ON CONFLICT DO NOTHING` writing nothing.
pub(super) fn insert(conn: &mut DbConnection, intake: &NewIntake) -> Result<Stored, DbError> {
    let written = write_tx(conn, |conn| {
        let DbConnection::Sqlite(sq) = conn else {
            return Err(Abort::Db(diesel::result::Error::BrokenTransactionManager));
        };
        let inserted = diesel::insert_into(submissions::table)
            .values(&intake.submission)
            .on_conflict(submissions::reference)
            .do_nothing()
            .execute(sq)?;
        if inserted == 0 {
            return Err(Abort::Clash(Stored::ReferenceTaken));
        }
        if let Some(key) = &intake.key {
            if !idempotency::save(sq, key)? {
                return Err(Abort::Clash(Stored::KeyTaken));
            }
        }
        insert_rows!(conn, outbox::table, &intake.mails);
        diesel::insert_into(events::table)
            .values(&intake.event)
            .execute(conn)?;
        if let Some(ack) = &intake.ack {
            acknowledge(conn, ack)?;
        }
        Ok(())
    });
    match written {
        Ok(()) => Ok(Stored::Done),
        Err(Abort::Clash(clash)) => Ok(clash),
        Err(Abort::Db(e)) => Err(e.into()),
        Err(Abort::Store(e)) => Err(e),
    }
}

/// The acknowledgement with its log row under the caps, else the event naming the cap met.
/// Inside the write lock: the count and the log cannot interleave with another post.
fn acknowledge(conn: &mut DbConnection, ack: &Ack) -> Result<(), Abort> {
    match crate::db::acks::cap_reached(conn, &ack.log, &ack.caps).map_err(Abort::Store)? {
        None => {
            diesel::insert_into(outbox::table)
                .values(&ack.mail)
                .execute(conn)?;
            diesel::insert_into(ack_log::table)
                .values(&ack.log)
                .execute(conn)?;
        }
        Some(reason) => {
            let skipped = NewEvent {
                detail: reason.to_owned(),
                ..ack.skipped.clone()
            };
            diesel::insert_into(events::table)
                .values(&skipped)
                .execute(conn)?;
        }
    }
    Ok(())
}
