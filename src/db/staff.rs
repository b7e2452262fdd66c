//! Staff accounts and their sessions.

use crate::domain::EventKind;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::events::NewEvent;
use super::schema::{
    events, login_throttle, staff_known_clients, staff_sessions, staff_users, submissions,
};
use super::{write_tx, DbConnection, DbError};
use crate::domain::{Desk, Role};

#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = staff_users)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub password_hash: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Bumped by each change that ends the account's sessions.
    pub credentials_version: i32,
    /// The console's language for this account; `None` follows the browser.
    pub locale: Option<crate::domain::Locale>,
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
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub password_hash: Option<String>,
    pub updated_at: Option<NaiveDateTime>,
}

/// Sets (or, with `None`, clears) an account's console language.
pub fn set_locale(
    conn: &mut DbConnection,
    id: &str,
    locale: Option<crate::domain::Locale>,
) -> Result<(), DbError> {
    let updated = diesel::update(staff_users::table.find(id))
        .set(staff_users::locale.eq(locale))
        .execute(conn)?;
    if updated == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
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
    if !super::searchable(id) {
        return Ok(None);
    }
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
    unassign_from: &[Desk],
) -> Result<UserRow, DbError> {
    write_tx(conn, |conn| {
        unassign(conn, id, unassign_from, &event.actor, event.created_at)?;
        let updated = diesel::update(staff_users::table.find(id))
            .set(changes)
            .execute(conn)?;
        if updated == 0 {
            return Err(DbError::NotFound);
        }
        if revoke {
            // Under the row lock the update above took: a sign-in that checked the old
            // credentials finds the version moved and opens no session (see `open_session`).
            diesel::update(staff_users::table.find(id))
                .set(staff_users::credentials_version.eq(staff_users::credentials_version + 1))
                .execute(conn)?;
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

/// Takes the account off every submission of `desks` it is assigned, each with its own
/// `changed` event and a new version, so that an open page sees the change as a conflict.
/// Returns how many it left.
pub fn unassign(
    conn: &mut DbConnection,
    user_id: &str,
    desks: &[Desk],
    actor: &str,
    now: NaiveDateTime,
) -> Result<usize, DbError> {
    if desks.is_empty() {
        return Ok(0);
    }
    let held: Vec<String> = submissions::table
        .filter(submissions::assignee_id.eq(user_id))
        .filter(submissions::desk.eq_any(desks.to_vec()))
        .select(submissions::id)
        .load(conn)?;
    for id in &held {
        diesel::update(submissions::table.find(id))
            .set((
                submissions::assignee_id.eq(None::<String>),
                submissions::version.eq(submissions::version + 1),
                submissions::updated_at.eq(now),
            ))
            .execute(conn)?;
        let detail = serde_json::json!({
            "field": "assignee", "from": user_id, "to": null, "why": "account_lost_desk",
        });
        diesel::insert_into(events::table)
            .values(&NewEvent::new(
                Some(id),
                actor,
                EventKind::Changed,
                &detail,
                now,
            ))
            .execute(conn)?;
    }
    Ok(held.len())
}

/// Opens a session, in one transaction, only if the account is still active and its
/// credentials are still those the sign-in checked (`version`); says whether it did. The check
/// is an update of the account's row, so it takes that row's lock: a concurrent password, role
/// or status change either commits first (the version has moved: no session) or waits for this
/// transaction and then revokes the session it made. On a success the client's own failures
/// are forgotten and the client is remembered as one this account signs in from.
pub fn open_session(
    conn: &mut DbConnection,
    session: &NewSession,
    version: i32,
    email: &str,
    client: &str,
) -> Result<bool, DbError> {
    write_tx(conn, |conn| {
        let current = diesel::update(
            staff_users::table
                .find(&session.user_id)
                .filter(staff_users::credentials_version.eq(version))
                .filter(staff_users::active.eq(true)),
        )
        .set(staff_users::credentials_version.eq(staff_users::credentials_version))
        .execute(conn)?;
        if current == 0 {
            return Ok(false);
        }
        diesel::insert_into(staff_sessions::table)
            .values(session)
            .execute(conn)?;
        diesel::delete(login_throttle::table.find((email, client))).execute(conn)?;
        if !client.is_empty() {
            let known = (
                staff_known_clients::user_id.eq(&session.user_id),
                staff_known_clients::client.eq(client),
                staff_known_clients::last_signin_at.eq(session.created_at),
            );
            let seen = staff_known_clients::last_signin_at.eq(session.created_at);
            let key = (staff_known_clients::user_id, staff_known_clients::client);
            // ON CONFLICT does not pass through the multi-backend connection.
            match conn {
                DbConnection::Pg(pg) => diesel::insert_into(staff_known_clients::table)
                    .values(known)
                    .on_conflict(key)
                    .do_update()
                    .set(seen)
                    .execute(pg)?,
                DbConnection::Sqlite(sq) => diesel::insert_into(staff_known_clients::table)
                    .values(known)
                    .on_conflict(key)
                    .do_update()
                    .set(seen)
                    .execute(sq)?,
            };
        }
        Ok(true)
    })
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
    super::write(conn, |conn| {
        diesel::update(staff_sessions::table.find(id))
            .set(staff_sessions::last_seen_at.eq(now))
            .execute(conn)?;
        Ok(())
    })
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
