//! Staff accounts, their sessions and the sign-in throttle.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{events, login_throttle, staff_sessions, staff_users};
use super::submissions::NewEvent;
use super::{write_tx, DbConnection, DbError};

#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = staff_users)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub active: bool,
    pub password_hash: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = staff_sessions)]
pub struct NewSession {
    pub id: String,
    pub token_hash: String,
    pub user_id: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = staff_sessions)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

/// Changes to an account; `None` leaves a field as it is.
#[derive(Debug, Default, Clone, AsChangeset)]
#[diesel(table_name = staff_users)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub role: Option<String>,
    pub active: Option<bool>,
    pub password_hash: Option<String>,
    pub updated_at: Option<NaiveDateTime>,
}

pub fn insert_user(
    conn: &mut DbConnection,
    user: &UserRow,
    event: &NewEvent,
) -> Result<(), DbError> {
    write_tx(conn, |conn| {
        diesel::insert_into(staff_users::table)
            .values(user)
            .execute(conn)?;
        diesel::insert_into(events::table)
            .values(event)
            .execute(conn)?;
        Ok(())
    })
}

pub fn user_by_email(conn: &mut DbConnection, email: &str) -> Result<Option<UserRow>, DbError> {
    Ok(staff_users::table
        .filter(staff_users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn user_by_id(conn: &mut DbConnection, id: &str) -> Result<Option<UserRow>, DbError> {
    Ok(staff_users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn list_users(conn: &mut DbConnection) -> Result<Vec<UserRow>, DbError> {
    Ok(staff_users::table
        .order(staff_users::email.asc())
        .select(UserRow::as_select())
        .load(conn)?)
}

/// Applies changes to an account, revoking its sessions when `revoke` says so, with its audit
/// event, in one transaction.
pub fn update_user(
    conn: &mut DbConnection,
    id: &str,
    changes: &UserChanges,
    revoke: bool,
    event: &NewEvent,
) -> Result<UserRow, DbError> {
    write_tx(conn, |conn| {
        let updated = diesel::update(staff_users::table.find(id))
            .set(changes)
            .execute(conn)?;
        if updated == 0 {
            return Err(DbError::NotFound);
        }
        if revoke {
            revoke_all(conn, id, event.created_at)?;
        }
        diesel::insert_into(events::table)
            .values(event)
            .execute(conn)?;
        Ok(staff_users::table
            .find(id)
            .select(UserRow::as_select())
            .first(conn)?)
    })
}

pub fn create_session(conn: &mut DbConnection, session: &NewSession) -> Result<(), DbError> {
    diesel::insert_into(staff_sessions::table)
        .values(session)
        .execute(conn)?;
    Ok(())
}

/// The session a token hash names, with its account.
pub fn session_by_token(
    conn: &mut DbConnection,
    token_hash: &str,
) -> Result<Option<(SessionRow, UserRow)>, DbError> {
    Ok(staff_sessions::table
        .inner_join(staff_users::table)
        .filter(staff_sessions::token_hash.eq(token_hash))
        .select((SessionRow::as_select(), UserRow::as_select()))
        .first(conn)
        .optional()?)
}

pub fn touch_session(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> Result<(), DbError> {
    diesel::update(staff_sessions::table.find(id))
        .set(staff_sessions::last_seen_at.eq(now))
        .execute(conn)?;
    Ok(())
}

pub fn revoke_session(
    conn: &mut DbConnection,
    id: &str,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::update(staff_sessions::table.find(id))
        .set(staff_sessions::revoked_at.eq(now))
        .execute(conn)?;
    Ok(())
}

pub fn revoke_all(
    conn: &mut DbConnection,
    user_id: &str,
    now: NaiveDateTime,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        staff_sessions::table
            .filter(staff_sessions::user_id.eq(user_id))
            .filter(staff_sessions::revoked_at.is_null()),
    )
    .set(staff_sessions::revoked_at.eq(now))
    .execute(conn)?)
}

/// Until when sign-ins to this address are refused, if they are.
pub fn locked_until(
    conn: &mut DbConnection,
    email: &str,
    now: NaiveDateTime,
) -> Result<Option<NaiveDateTime>, DbError> {
    let until: Option<Option<NaiveDateTime>> = login_throttle::table
        .find(email)
        .select(login_throttle::locked_until)
        .first(conn)
        .optional()?;
    Ok(until.flatten().filter(|t| *t > now))
}

/// Counts a failed sign-in and returns the count; `lock_for(failures)` says how long to lock
/// after this many. Failures older than `forget_before` are forgotten first, so a lock does not
/// last for ever. Concurrent failures each count (the row is updated in place, under its lock).
pub fn record_failure(
    conn: &mut DbConnection,
    email: &str,
    now: NaiveDateTime,
    forget_before: NaiveDateTime,
    lock_for: impl Fn(i32) -> Option<chrono::Duration>,
) -> Result<i32, DbError> {
    write_tx(conn, |conn| {
        let fresh = (
            login_throttle::email.eq(email),
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
        let row = login_throttle::table.find(email);
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
        if let Some(d) = lock_for(failures) {
            diesel::update(row)
                .set(login_throttle::locked_until.eq(now + d))
                .execute(conn)?;
        }
        Ok(failures)
    })
}

pub fn clear_failures(conn: &mut DbConnection, email: &str) -> Result<(), DbError> {
    diesel::delete(login_throttle::table.find(email)).execute(conn)?;
    Ok(())
}
