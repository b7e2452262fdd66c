//! The sign-in throttle: failures per (address, client), the account-wide ceiling's failures,
//! and the clients each account signed in from.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::events::NewEvent;
use super::schema::{events, login_throttle, signin_failures, staff_known_clients, staff_users};
use super::{DbConnection, DbError};

/// Until when sign-ins to this address from this client are refused, if they are.
pub fn locked_until(
    conn: &mut DbConnection,
    email: &str,
    client: &str,
    now: NaiveDateTime,
) -> Result<Option<NaiveDateTime>, DbError> {
    let until: Option<Option<NaiveDateTime>> = login_throttle::table
        .find((email, client))
        .select(login_throttle::locked_until)
        .first(conn)
        .optional()?;
    Ok(until.flatten().filter(|t| *t > now))
}

/// Whether the account signed in from this client since `since`.
pub fn is_known_client(
    conn: &mut DbConnection,
    user_id: &str,
    client: &str,
    since: NaiveDateTime,
) -> Result<bool, DbError> {
    Ok(staff_known_clients::table
        .find((user_id, client))
        .filter(staff_known_clients::last_signin_at.gt(since))
        .select(staff_known_clients::user_id)
        .first::<String>(conn)
        .optional()?
        .is_some())
}

/// When the `ceiling`-th most recent counted failure for this address since `since` happened,
/// if there are that many: the ceiling is reached, until that failure is an hour old.
pub fn ceiling_reached_at(
    conn: &mut DbConnection,
    email: &str,
    since: NaiveDateTime,
    ceiling: u32,
) -> Result<Option<NaiveDateTime>, DbError> {
    let ceiling = ceiling.max(1);
    let recent: Vec<NaiveDateTime> = signin_failures::table
        .filter(signin_failures::email.eq(email))
        .filter(signin_failures::created_at.gt(since))
        .order(signin_failures::created_at.desc())
        .limit(i64::from(ceiling))
        .select(signin_failures::created_at)
        .load(conn)?;
    let reached = u32::try_from(recent.len()).is_ok_and(|n| n >= ceiling);
    Ok(recent.last().copied().filter(|_| reached))
}

/// Counts a failed sign-in for an (address, client) pair and returns the count and, when
/// `lock_for(failures)` says so, the end of the lock it sets. Failures older than
/// `forget_before` are forgotten first, so a lock does not last for ever. Concurrent failures
/// each count (the row is updated in place, under its lock). Run it inside a write transaction.
pub fn record_failure(
    conn: &mut DbConnection,
    email: &str,
    client: &str,
    now: NaiveDateTime,
    forget_before: NaiveDateTime,
    lock_for: impl Fn(i32) -> Option<chrono::Duration>,
) -> Result<(i32, Option<NaiveDateTime>), DbError> {
    let fresh = (
        login_throttle::email.eq(email),
        login_throttle::client.eq(client),
        login_throttle::failures.eq(0),
        login_throttle::locked_until.eq(None::<NaiveDateTime>),
        login_throttle::updated_at.eq(now),
    );
    // ON CONFLICT does not pass through the multi-backend connection.
    match conn {
        DbConnection::Pg(pg) => diesel::insert_into(login_throttle::table)
            .values(fresh)
            .on_conflict_do_nothing()
            .execute(pg)?,
        DbConnection::Sqlite(sq) => diesel::insert_into(login_throttle::table)
            .values(fresh)
            .on_conflict_do_nothing()
            .execute(sq)?,
    };
    let row = login_throttle::table.find((email, client));
    diesel::update(row.filter(login_throttle::updated_at.lt(forget_before)))
        .set(login_throttle::failures.eq(0))
        .execute(conn)?;
    let failures: i32 = diesel::update(row)
        .set((
            login_throttle::failures.eq(login_throttle::failures + 1),
            login_throttle::updated_at.eq(now),
        ))
        .returning(login_throttle::failures)
        .get_result(conn)?;
    let until = lock_for(failures).map(|d| now + d);
    if let Some(until) = until {
        diesel::update(row)
            .set(login_throttle::locked_until.eq(until))
            .execute(conn)?;
    }
    Ok((failures, until))
}

/// Takes the account's row lock until the transaction ends, so that concurrent failures on one
/// account are counted one after the other and exactly one of them reaches the ceiling. (SQLite
/// writers are serialised anyway.)
pub fn hold_account(conn: &mut DbConnection, user_id: &str) -> Result<(), DbError> {
    diesel::update(staff_users::table.find(user_id))
        .set(staff_users::credentials_version.eq(staff_users::credentials_version))
        .execute(conn)?;
    Ok(())
}

/// Counts a failure toward the address's account-wide ceiling and returns how many it has
/// since `since`, this one included.
pub fn count_toward_ceiling(
    conn: &mut DbConnection,
    email: &str,
    now: NaiveDateTime,
    since: NaiveDateTime,
) -> Result<i64, DbError> {
    diesel::insert_into(signin_failures::table)
        .values((
            signin_failures::id.eq(uuid::Uuid::now_v7().to_string()),
            signin_failures::email.eq(email),
            signin_failures::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(signin_failures::table
        .filter(signin_failures::email.eq(email))
        .filter(signin_failures::created_at.gt(since))
        .count()
        .get_result(conn)?)
}

/// The ends of the locks on this address that are still running, one per client.
pub fn client_locks(
    conn: &mut DbConnection,
    email: &str,
    now: NaiveDateTime,
) -> Result<Vec<NaiveDateTime>, DbError> {
    let until: Vec<Option<NaiveDateTime>> = login_throttle::table
        .filter(login_throttle::email.eq(email))
        .filter(login_throttle::locked_until.gt(now))
        .select(login_throttle::locked_until)
        .load(conn)?;
    Ok(until.into_iter().flatten().collect())
}

/// Forgets every failure counted against an address, from every client; returns how many
/// rows went.
pub fn clear_failures(conn: &mut DbConnection, email: &str) -> Result<usize, DbError> {
    let pairs = diesel::delete(login_throttle::table.filter(login_throttle::email.eq(email)))
        .execute(conn)?;
    let counted = diesel::delete(signin_failures::table.filter(signin_failures::email.eq(email)))
        .execute(conn)?;
    Ok(pairs + counted)
}

/// What the sweep deletes: rows that can no longer lock anyone or spare anyone.
pub struct Expired {
    /// Pair rows untouched since then: their count is forgotten and their lock is over.
    pub throttle_before: NaiveDateTime,
    /// Ceiling failures older than that: out of the hour.
    pub failures_before: NaiveDateTime,
    /// Clients not signed in from since then.
    pub clients_before: NaiveDateTime,
}

/// Deletes expired throttle rows, in one transaction; returns how many went.
pub fn sweep(conn: &mut DbConnection, expired: &Expired) -> Result<usize, DbError> {
    super::write_tx(conn, |conn| {
        let pairs = diesel::delete(
            login_throttle::table.filter(login_throttle::updated_at.lt(expired.throttle_before)),
        )
        .execute(conn)?;
        let failures = diesel::delete(
            signin_failures::table.filter(signin_failures::created_at.lt(expired.failures_before)),
        )
        .execute(conn)?;
        let clients = diesel::delete(
            staff_known_clients::table
                .filter(staff_known_clients::last_signin_at.lt(expired.clients_before)),
        )
        .execute(conn)?;
        Ok(pairs + failures + clients)
    })
}

/// An audit event about an account (no submission).
pub fn insert_event(conn: &mut DbConnection, event: &NewEvent) -> Result<(), DbError> {
    diesel::insert_into(events::table)
        .values(event)
        .execute(conn)?;
    Ok(())
}
