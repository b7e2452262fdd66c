//! IMAP mailboxes: the UIDs already marked (`inbound_seen`). The lease that lets one instance at
//! a time work a mailbox is in `leases.rs`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::inbound_seen;
use super::{write_tx, DbConnection, DbError};

/// UIDs of a mailbox already worked under this UIDVALIDITY.
pub fn seen(conn: &mut DbConnection, mailbox: &str, validity: i64) -> Result<Vec<i64>, DbError> {
    Ok(inbound_seen::table
        .filter(inbound_seen::mailbox.eq(mailbox))
        .filter(inbound_seen::uid_validity.eq(validity))
        .select(inbound_seen::uid)
        .load(conn)?)
}

/// Records a worked UID (once; again is harmless).
pub fn record(
    conn: &mut DbConnection,
    mailbox: &str,
    validity: i64,
    uid: i64,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    write_tx(conn, |conn| {
        let known = inbound_seen::table
            .find((mailbox, validity, uid))
            .select(inbound_seen::uid)
            .first::<i64>(conn)
            .optional()?;
        if known.is_none() {
            diesel::insert_into(inbound_seen::table)
                .values((
                    inbound_seen::mailbox.eq(mailbox),
                    inbound_seen::uid_validity.eq(validity),
                    inbound_seen::uid.eq(uid),
                    inbound_seen::created_at.eq(now),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}
