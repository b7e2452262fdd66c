//! Invitations: the single-use links new colleagues set their password with. One row per
//! account (a new invitation replaces the old link); only the link's SHA-256 is stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::events::NewEvent;
use super::outbox::NewOutboxRow;
use super::schema::{events, outbox, staff_invitations, staff_users};
use super::staff::{revoke_all, UserRow};
use super::{write_tx, DbConnection, DbError};

/// The password hash of an account that has none yet: no password matches it.
pub const NO_PASSWORD: &str = "";

#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = staff_invitations)]
pub struct InvitationRow {
    pub user_id: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

/// Replaces the account's invitation with `invitation`, queues its e-mail and audits it.
fn put(
    conn: &mut DbConnection,
    invitation: &InvitationRow,
    mail: &NewOutboxRow,
    event: &NewEvent,
) -> Result<(), DbError> {
    diesel::delete(staff_invitations::table.find(&invitation.user_id)).execute(conn)?;
    diesel::insert_into(staff_invitations::table)
        .values(invitation)
        .execute(conn)?;
    diesel::insert_into(outbox::table)
        .values(mail)
        .execute(conn)?;
    diesel::insert_into(events::table)
        .values(event)
        .execute(conn)?;
    Ok(())
}

/// Opens an account without a password, with its invitation, in one transaction.
pub fn insert_invited(
    conn: &mut DbConnection,
    user: &UserRow,
    created: &NewEvent,
    invitation: &InvitationRow,
    mail: &NewOutboxRow,
    sent: &NewEvent,
) -> Result<(), DbError> {
    write_tx(conn, |conn| {
        diesel::insert_into(staff_users::table)
            .values(user)
            .execute(conn)?;
        diesel::insert_into(events::table)
            .values(created)
            .execute(conn)?;
        put(conn, invitation, mail, sent)
    })
}

/// A new invitation for an existing, active account: the old link stops working, and so does
/// the account's password, with its sessions, until the new link is used. `Ok(false)` when
/// the account is disabled (nothing written).
pub fn reinvite(
    conn: &mut DbConnection,
    invitation: &InvitationRow,
    mail: &NewOutboxRow,
    event: &NewEvent,
) -> Result<bool, DbError> {
    write_tx(conn, |conn| {
        let id = &invitation.user_id;
        let cleared = diesel::update(
            staff_users::table
                .find(id)
                .filter(staff_users::active.eq(true)),
        )
        .set((
            staff_users::password_hash.eq(NO_PASSWORD),
            staff_users::credentials_version.eq(staff_users::credentials_version + 1),
            staff_users::updated_at.eq(invitation.created_at),
        ))
        .execute(conn)?;
        if cleared == 0 {
            return Ok(false);
        }
        revoke_all(conn, id, invitation.created_at)?;
        put(conn, invitation, mail, event)?;
        Ok(true)
    })
}

/// The invitation a link's hash names, with its account.
pub fn by_token(
    conn: &mut DbConnection,
    token_hash: &str,
) -> Result<Option<(InvitationRow, UserRow)>, DbError> {
    Ok(staff_invitations::table
        .inner_join(staff_users::table)
        .filter(staff_invitations::token_hash.eq(token_hash))
        .select((InvitationRow::as_select(), UserRow::as_select()))
        .first(conn)
        .optional()?)
}

/// Uses the invitation: sets the password, once, if the link is still unused, unexpired and
/// its account active; says whether it did. The conditional update is the single use: of two
/// concurrent posts of one link, only one finds it unused.
pub fn accept(
    conn: &mut DbConnection,
    token_hash: &str,
    password_hash: &str,
    now: NaiveDateTime,
    event: &NewEvent,
) -> Result<bool, DbError> {
    write_tx(conn, |conn| {
        let Some((invitation, user)) = by_token(conn, token_hash)?.filter(|(_, u)| u.active) else {
            return Ok(false);
        };
        let used = diesel::update(
            staff_invitations::table
                .find(&invitation.user_id)
                .filter(staff_invitations::token_hash.eq(token_hash))
                .filter(staff_invitations::used_at.is_null())
                .filter(staff_invitations::expires_at.gt(now)),
        )
        .set(staff_invitations::used_at.eq(now))
        .execute(conn)?;
        if used == 0 {
            return Ok(false);
        }
        diesel::update(staff_users::table.find(&user.id))
            .set((
                staff_users::password_hash.eq(password_hash),
                staff_users::credentials_version.eq(staff_users::credentials_version + 1),
                staff_users::updated_at.eq(now),
            ))
            .execute(conn)?;
        revoke_all(conn, &user.id, now)?;
        super::signin::clear_failures(conn, &user.email)?;
        diesel::insert_into(events::table)
            .values(event)
            .execute(conn)?;
        Ok(true)
    })
}
