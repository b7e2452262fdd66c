//! IMAP mailboxes: the lease that lets one instance at a time work a mailbox, and the UIDs it
//! has marked (`inbound_leases`, `inbound_seen`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{inbound_leases, inbound_seen};
use super::{write_tx, DbConnection, DbError};

/// Takes or renews the lease on a mailbox until `until`; false while another owner holds it.
pub fn take(
    conn: &mut DbConnection,
    mailbox: &str,
    owner: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> Result<bool, DbError> {
    let result = write_tx(conn, |conn| -> Result<bool, DbError> {
        let held: Option<(String, NaiveDateTime)> = inbound_leases::table
            .find(mailbox)
            .select((inbound_leases::owner, inbound_leases::lease_until))
            .first(conn)
            .optional()?;
        match held {
            None => {
                diesel::insert_into(inbound_leases::table)
                    .values((
                        inbound_leases::mailbox.eq(mailbox),
                        inbound_leases::owner.eq(owner),
                        inbound_leases::lease_until.eq(until),
                    ))
                    .execute(conn)?;
                Ok(true)
            }
            Some((holder, lease_until)) if holder == owner || lease_until < now => {
                // Only if nobody took it meanwhile (PostgreSQL: another instance's commit).
                let n = diesel::update(
                    inbound_leases::table
                        .find(mailbox)
                        .filter(inbound_leases::owner.eq(&holder))
                        .filter(inbound_leases::lease_until.eq(lease_until)),
                )
                .set((
                    inbound_leases::owner.eq(owner),
                    inbound_leases::lease_until.eq(until),
                ))
                .execute(conn)?;
                Ok(n == 1)
            }
            Some(_) => Ok(false),
        }
    });
    match result {
        // Two instances inserting at once: the other one won.
        Err(DbError::UniqueViolation(_)) => Ok(false),
        other => other,
    }
}

/// Gives the lease back (a stopping instance).
pub fn release(conn: &mut DbConnection, mailbox: &str, owner: &str) -> Result<(), DbError> {
    super::write(conn, |conn| {
        diesel::delete(
            inbound_leases::table
                .find(mailbox)
                .filter(inbound_leases::owner.eq(owner)),
        )
        .execute(conn)?;
        Ok(())
    })
}

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
