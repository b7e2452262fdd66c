//! Staff accounts: creation and changes, from the admin API and the command line alike.

use crate::domain::EventKind;
use serde_json::json;

use super::views::Account;
use crate::config::AuthSettings;
use crate::db::events::NewEvent;
use crate::db::staff::UserRow;
use crate::db::staff::{self as store, UserChanges};
use crate::db::{self, DbError, Pool};
use crate::desk::auth::{Hasher, Lockout};
use crate::desk::caller::Caller;
use crate::domain::may_hear_of;
use crate::domain::{
    FieldError, FieldErrors, Msg, OneLine, Password, PasswordError, ReaderEmail, Role,
};

/// Why an account was not created or changed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("invalid fields")]
    Invalid(FieldErrors),
    #[error("an account already has this address")]
    EmailTaken,
    #[error("no such account")]
    NotFound,
    /// Accounts are for admins (and the operator) only.
    #[error("not allowed")]
    Forbidden,
    /// An admin may not disable their own account: another admin must.
    #[error("an admin cannot disable their own account")]
    CannotDisableSelf,
    /// A disabled account gets no invitation.
    #[error("the account is disabled")]
    Disabled,
    /// The invitation e-mail could not be composed.
    #[error("composing the invitation: {0}")]
    Compose(String),
    #[error(transparent)]
    Hash(#[from] crate::desk::auth::HashError),
    #[error(transparent)]
    Db(#[from] DbError),
}

pub struct NewAccount {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: String,
}

#[derive(Debug, Default)]
pub struct AccountChange {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub password: Option<String>,
}

fn password_error(e: PasswordError) -> FieldError {
    FieldError::new(match e {
        PasswordError::TooShort => Msg::PasswordTooShort,
        PasswordError::TooLong => Msg::PasswordTooLong,
    })
}

fn audit(actor: &str, kind: EventKind, detail: serde_json::Value) -> NewEvent {
    NewEvent::new(None, actor, kind, &detail, db::now())
}

/// Every account, active or not, for their administration: admins only.
pub async fn list(pool: &Pool, who: &Caller) -> Result<Vec<Account>, AccountError> {
    who.require_admin().map_err(|_| AccountError::Forbidden)?;
    Ok(colleagues(pool).await?)
}

/// Every colleague, to show names (authors, assignees) on what a caller may already see.
pub async fn colleagues(pool: &Pool) -> Result<Vec<Account>, DbError> {
    let rows = db::run(pool, store::list_users).await?;
    Ok(rows.into_iter().map(Account::from).collect())
}

/// Whether this account may be assigned a submission of `desk`: the rule that decides who may
/// be told of it.
pub fn assignable(user: &Account, desk: crate::domain::Desk) -> bool {
    may_hear_of(user.role, user.active, desk)
}

/// The folded address and the name, or their errors in `errors`.
pub(super) fn identity(
    email: &str,
    name: &str,
    errors: &mut FieldErrors,
) -> Option<(String, String)> {
    let email = ReaderEmail::parse(email)
        .map(|e| e.folded())
        .map_err(|e| errors.entry("email").or_default().push(e))
        .ok();
    let name = OneLine::parse(name, 200)
        .map_err(|e| errors.entry("name").or_default().push(e))
        .ok();
    Some((email?, name?.into_inner()))
}

pub(super) fn new_row(
    email: String,
    display_name: String,
    role: Role,
    password_hash: String,
) -> UserRow {
    let now = db::now();
    UserRow {
        id: uuid::Uuid::now_v7().to_string(),
        email,
        display_name,
        role,
        active: true,
        password_hash,
        created_at: now,
        updated_at: now,
        credentials_version: 0,
        locale: None,
    }
}

/// The audit event of an account's creation.
pub(super) fn created_event(actor: &str, user: &UserRow) -> NewEvent {
    audit(
        actor,
        EventKind::UserCreated,
        json!({"user": user.id, "role": user.role}),
    )
}

/// Creates an account with its password (the command line's first admin, or an admin who
/// gives one); e-mail addresses are unique whatever their case.
pub async fn create(
    pool: &Pool,
    hasher: &Hasher,
    new: NewAccount,
    who: &Caller,
) -> Result<Account, AccountError> {
    who.require_admin().map_err(|_| AccountError::Forbidden)?;
    let mut errors = FieldErrors::new();
    let identity = identity(&new.email, &new.name, &mut errors);
    let password = Password::parse(new.password)
        .map_err(|e| {
            errors
                .entry("password")
                .or_default()
                .push(password_error(e))
        })
        .ok();
    let (Some((email, name)), Some(password)) = (identity, password) else {
        return Err(AccountError::Invalid(errors));
    };
    let hash = hasher.hash(&password).await?;
    let user = new_row(email, name, new.role, hash);
    let event = created_event(&who.id, &user);
    let stored = user.clone();
    match db::run(pool, move |conn| store::insert_user(conn, &stored, &event)).await {
        Ok(()) => Ok(user.into()),
        Err(DbError::UniqueViolation(_)) => Err(AccountError::EmailTaken),
        Err(e) => Err(e.into()),
    }
}

/// Whether `who` may disable the account `id`: admins only, and never their own account
/// (disabling oneself would lock the last admin out as easily as any other: another admin must
/// do it). The console asks before its confirmation step; `change` asks again.
pub fn may_disable(who: &Caller, id: &str) -> Result<(), AccountError> {
    who.require_admin().map_err(|_| AccountError::Forbidden)?;
    if id == who.id {
        return Err(AccountError::CannotDisableSelf);
    }
    Ok(())
}

/// Changes an account. A new password, a new role or a disabled account ends all of its
/// sessions.
pub async fn change(
    pool: &Pool,
    hasher: &Hasher,
    id: &str,
    change: AccountChange,
    who: &Caller,
) -> Result<Account, AccountError> {
    if change.active == Some(false) {
        may_disable(who, id)?;
    }
    who.require_admin().map_err(|_| AccountError::Forbidden)?;
    apply(pool, hasher, id, change, &who.id).await
}

/// A change to an account, by `actor`, once allowed (an admin's, or the account's own password
/// through `account_self`).
pub(super) async fn apply(
    pool: &Pool,
    hasher: &Hasher,
    id: &str,
    change: AccountChange,
    actor: &str,
) -> Result<Account, AccountError> {
    let mut errors = FieldErrors::new();
    let name = change
        .name
        .map(|n| OneLine::parse(&n, 200).map(OneLine::into_inner))
        .transpose()
        .map_err(|e| errors.entry("name").or_default().push(e))
        .ok()
        .flatten();
    let password = change
        .password
        .map(Password::parse)
        .transpose()
        .map_err(|e| {
            errors
                .entry("password")
                .or_default()
                .push(password_error(e))
        })
        .ok()
        .flatten();
    if !errors.is_empty() {
        return Err(AccountError::Invalid(errors));
    }
    // An unknown account is known before any hashing is spent on it.
    let wanted = id.to_owned();
    let before = db::run(pool, move |conn| store::user_by_id(conn, &wanted))
        .await?
        .ok_or(AccountError::NotFound)?;
    let hash = match &password {
        Some(p) => Some(hasher.hash(p).await?),
        None => None,
    };
    let revoke = hash.is_some()
        || change.role.is_some_and(|r| r != before.role)
        || change.active == Some(false);
    // Before → after for each field that changes; a password is only said to have changed.
    let mut detail = serde_json::Map::new();
    detail.insert("user".into(), json!(id));
    if let Some(n) = name.as_ref().filter(|n| **n != before.display_name) {
        detail.insert("name".into(), json!({"from": before.display_name, "to": n}));
    }
    if let Some(r) = change.role.filter(|r| *r != before.role) {
        detail.insert(
            "role".into(),
            json!({"from": before.role.as_str(), "to": r.as_str()}),
        );
    }
    if let Some(a) = change.active.filter(|a| *a != before.active) {
        detail.insert("active".into(), json!({"from": before.active, "to": a}));
    }
    if hash.is_some() {
        detail.insert("password".into(), json!("changed"));
    }
    let detail = serde_json::Value::Object(detail);
    let new_password = hash.is_some();
    let changes = UserChanges {
        display_name: name,
        role: change.role,
        active: change.active,
        password_hash: hash,
        updated_at: Some(db::now()),
    };
    // A desk the account no longer sees (or every desk, once disabled) takes it off that desk's
    // submissions: nothing about them may reach it any more, by assignment or by mail.
    let (role, active) = (
        change.role.unwrap_or(before.role),
        change.active.unwrap_or(before.active),
    );
    let lost: Vec<crate::domain::Desk> = crate::domain::Desk::ALL
        .iter()
        .copied()
        .filter(|d| may_hear_of(before.role, true, *d) && !may_hear_of(role, active, *d))
        .collect();
    let event = audit(actor, EventKind::UserChanged, detail);
    let email = before.email.clone();
    let id = id.to_owned();
    Ok(db::run(pool, move |conn| {
        let user = store::update_user(conn, &id, &changes, revoke, &event, &lost)?;
        if new_password {
            // A new password is the way out of a lockout.
            crate::db::signin::clear_failures(conn, &email)?;
        }
        Ok(user)
    })
    .await?
    .into())
}

/// The key an account is found by for an address as typed: the stored form (trimmed, case
/// folded, the domain in ASCII), or the typed text folded when it is no valid address at all
/// (then it matches no account).
pub fn account_key(typed: &str) -> String {
    ReaderEmail::parse(typed).map_or_else(|_| typed.trim().to_lowercase(), |e| e.folded())
}

/// Every account with the locks running on it, for the command line.
pub async fn list_with_lockouts(
    pool: &Pool,
    settings: &AuthSettings,
) -> Result<Vec<(Account, Option<Lockout>)>, DbError> {
    let settings = settings.clone();
    db::run(pool, move |conn| {
        let now = db::now();
        store::list_users(conn)?
            .into_iter()
            .map(|u| {
                let lock = crate::desk::auth::lockout(conn, &settings, &u.email, now)?;
                Ok((u.into(), lock))
            })
            .collect()
    })
    .await
}

/// Clears every sign-in lock on an account, from every client and the account-wide ceiling,
/// with its audit event; returns the account.
pub async fn unlock(pool: &Pool, typed_email: &str, actor: &str) -> Result<Account, AccountError> {
    let email = account_key(typed_email);
    let actor = actor.to_owned();
    db::run(pool, move |conn| {
        db::write_tx(conn, |conn| {
            let Some(user) = store::user_by_email(conn, &email)? else {
                return Ok(None);
            };
            let cleared = crate::db::signin::clear_failures(conn, &user.email)?;
            let event = audit(
                &actor,
                EventKind::UserUnlocked,
                json!({"user": user.id, "cleared": cleared}),
            );
            crate::db::signin::insert_event(conn, &event)?;
            Ok(Some(Account::from(user)))
        })
    })
    .await?
    .ok_or(AccountError::NotFound)
}
