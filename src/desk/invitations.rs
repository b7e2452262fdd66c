//! Invitations: an account opened without a password is e-mailed a single-use link, valid
//! `outgoing::INVITATION_HOURS`, to choose one. Only the link's hash is stored; a new
//! invitation replaces the old link; a used or expired link is refused. Until the link is used
//! the account signs in by no password (`auth`).

use chrono::{Duration, NaiveDateTime};
use serde_json::json;

use super::accounts::{created_event, AccountError};
use super::auth::{new_token, token_hash};
use super::outgoing::{Invitee, INVITATION_HOURS};
use super::views::Account;
use super::{Caller, Context};
use crate::db::events::NewEvent;
use crate::db::invitations::{self as store, InvitationRow};
use crate::db::staff::UserRow;
use crate::db::{self, DbError};
use crate::domain::{EventKind, FieldError, FieldErrors, Msg, Password, PasswordError, Role};

/// Why a link does not open the form, or the password was not set.
#[derive(Debug, thiserror::Error)]
pub enum InvitationError {
    /// No such link: never sent, or replaced by a newer invitation, or its account disabled.
    #[error("unknown invitation")]
    Unknown,
    #[error("invitation expired")]
    Expired,
    #[error("invitation already used")]
    Used,
    #[error("invalid password")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Hash(#[from] super::auth::HashError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The account a still-valid link names, for the page that asks for the password.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: String,
    pub name: String,
    pub email: String,
    pub locale: Option<crate::domain::Locale>,
    pub expires_at: NaiveDateTime,
}

/// An invitation just sent.
#[derive(Debug, Clone)]
pub struct Sent {
    pub account: Account,
    pub expires_at: NaiveDateTime,
}

/// A new link for `user`, its row and its e-mail, and the audit event.
fn prepare(
    desk: &Context,
    user: &UserRow,
    actor: &str,
    now: NaiveDateTime,
) -> Result<(InvitationRow, crate::db::outbox::NewOutboxRow, NewEvent), AccountError> {
    let token = new_token();
    let invitation = InvitationRow {
        user_id: user.id.clone(),
        token_hash: token_hash(&token),
        created_at: now,
        expires_at: now + Duration::hours(i64::from(INVITATION_HOURS)),
        used_at: None,
    };
    let to = Invitee {
        email: &user.email,
        name: &user.display_name,
        locale: user.locale,
    };
    let mail = desk
        .outgoing
        .invite(&to, &token, now)
        .map_err(|e| AccountError::Compose(e.to_string()))?;
    let detail = json!({"user": user.id, "expires_at": invitation.expires_at});
    let event = NewEvent::new(None, actor, EventKind::InvitationSent, &detail, now);
    Ok((invitation, mail, event))
}

/// What an account is opened with, through the API or the console: without a password, the
/// account is invited to choose one (`invitations`).
pub struct Opening {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: Option<String>,
}

/// The account opened, and when its invitation's link stops working (`None` when it was opened
/// with a password).
pub struct Opened {
    pub account: Account,
    pub invitation_expires_at: Option<chrono::NaiveDateTime>,
}

/// Opens an account: with a password as `create` does, else with an invitation e-mailed to it.
pub async fn open(
    desk: &super::Context,
    new: Opening,
    who: &Caller,
) -> Result<Opened, AccountError> {
    who.require_admin().map_err(|_| AccountError::Forbidden)?;
    let Opening {
        email,
        name,
        role,
        password,
    } = new;
    match password {
        Some(password) => {
            let new = super::accounts::NewAccount {
                email,
                name,
                role,
                password,
            };
            let account = super::accounts::create(&desk.pool, &desk.auth.hasher, new, who).await?;
            Ok(Opened {
                account,
                invitation_expires_at: None,
            })
        }
        None => {
            let mut errors = FieldErrors::new();
            let identity = super::accounts::identity(&email, &name, &mut errors);
            let Some((email, name)) = identity.filter(|_| errors.is_empty()) else {
                return Err(AccountError::Invalid(errors));
            };
            let user = super::accounts::new_row(
                email,
                name,
                role,
                crate::db::invitations::NO_PASSWORD.into(),
            );
            open_invited(desk, user, &who.id).await
        }
    }
}

/// Opens `user` (without a password) and sends its invitation, in one transaction.
async fn open_invited(desk: &Context, user: UserRow, actor: &str) -> Result<Opened, AccountError> {
    let now = user.created_at;
    let created = created_event(actor, &user);
    let (invitation, mail, sent) = prepare(desk, &user, actor, now)?;
    let expires_at = invitation.expires_at;
    let stored = user.clone();
    let written = db::run(&desk.pool, move |conn| {
        store::insert_invited(conn, &stored, &created, &invitation, &mail, &sent)
    })
    .await;
    match written {
        Ok(()) => {}
        Err(DbError::UniqueViolation(_)) => return Err(AccountError::EmailTaken),
        Err(e) => return Err(e.into()),
    }
    desk.outbox_wakeup.notify_one();
    Ok(Opened {
        account: user.into(),
        invitation_expires_at: Some(expires_at),
    })
}

/// Sends an account a new invitation (an admin's "resend"): the old link stops working, and
/// so do the account's password and sessions until the new link is used. Admins only; a
/// disabled account gets none.
pub async fn invite(desk: &Context, id: &str, who: &Caller) -> Result<Sent, AccountError> {
    who.require_admin().map_err(|_| AccountError::Forbidden)?;
    let wanted = id.to_owned();
    let user = db::run(&desk.pool, move |conn| {
        crate::db::staff::user_by_id(conn, &wanted)
    })
    .await?
    .ok_or(AccountError::NotFound)?;
    if !user.active {
        return Err(AccountError::Disabled);
    }
    let now = db::now();
    let (invitation, mail, event) = prepare(desk, &user, &who.id, now)?;
    let expires_at = invitation.expires_at;
    let sent = db::run(&desk.pool, move |conn| {
        store::reinvite(conn, &invitation, &mail, &event)
    })
    .await?;
    if !sent {
        return Err(AccountError::Disabled);
    }
    desk.outbox_wakeup.notify_one();
    let account = Account {
        invitation_pending: true,
        ..Account::from(user)
    };
    Ok(Sent {
        account,
        expires_at,
    })
}

/// The account a link opens the form for, or why it does not.
pub async fn pending(desk: &Context, token: &str) -> Result<Pending, InvitationError> {
    let hash = token_hash(token);
    let found = db::run(&desk.pool, move |conn| store::by_token(conn, &hash)).await?;
    let (invitation, user) = found
        .filter(|(_, u)| u.active)
        .ok_or(InvitationError::Unknown)?;
    if invitation.used_at.is_some() {
        return Err(InvitationError::Used);
    }
    if invitation.expires_at <= db::now() {
        return Err(InvitationError::Expired);
    }
    Ok(Pending {
        id: user.id,
        name: user.display_name,
        email: user.email,
        locale: user.locale,
        expires_at: invitation.expires_at,
    })
}

/// Sets the password through the link, once: the same rules as any password; the link is
/// then spent, audited, and the account may sign in.
pub async fn accept(desk: &Context, token: &str, password: String) -> Result<(), InvitationError> {
    // The link is checked before any hashing is spent on it.
    let user = pending(desk, token).await?;
    let password = Password::parse(password).map_err(|e| {
        let msg = match e {
            PasswordError::TooShort => Msg::PasswordTooShort,
            PasswordError::TooLong => Msg::PasswordTooLong,
        };
        InvitationError::Invalid(FieldErrors::from([(
            "password",
            vec![FieldError::new(msg)],
        )]))
    })?;
    let hash = desk.auth.hasher.hash(&password).await?;
    let hashed = token_hash(token);
    let now = db::now();
    let detail = json!({"user": user.id});
    // The account itself is the actor: nobody else knows the link.
    let event = NewEvent::new(None, &user.id, EventKind::PasswordSet, &detail, now);
    let accepted = db::run(&desk.pool, move |conn| {
        store::accept(conn, &hashed, &hash, now, &event)
    })
    .await?;
    if accepted {
        return Ok(());
    }
    // Spent meanwhile by another post of the same link, or replaced, or expired: say which.
    pending(desk, token).await?;
    Err(InvitationError::Used)
}
