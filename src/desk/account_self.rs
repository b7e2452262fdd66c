//! What a staff member changes on their own account: the console's language and the password
//! (which needs the current one).

use crate::domain::EventKind;
use serde_json::json;

use super::accounts::{apply, AccountChange, AccountError};
use super::auth::{Caller, Hasher, Lane};
use crate::db::events::NewEvent;
use crate::db::staff as store;
use crate::db::{self, Pool};
use crate::domain::{FieldError, FieldErrors, Locale, Msg};

/// Sets the account's language (`None`: follow the browser), with its audit event.
pub async fn set_language(
    pool: &Pool,
    who: &Caller,
    locale: Option<Locale>,
) -> Result<(), AccountError> {
    let id = who.id.clone();
    let event = NewEvent::new(
        None,
        &who.id,
        EventKind::UserChanged,
        &json!({"user": who.id, "locale": locale.map(|l| l.as_str())}),
        db::now(),
    );
    db::run(pool, move |conn| {
        db::write_tx(conn, |conn| {
            store::set_locale(conn, &id, locale)?;
            crate::db::signin::insert_event(conn, &event)
        })
    })
    .await
    .map_err(|e| match e {
        crate::db::DbError::NotFound => AccountError::NotFound,
        other => other.into(),
    })
}

/// Changes the caller's password once the current one is proved; every session of the account
/// ends, this one included.
pub async fn change_password(
    pool: &Pool,
    hasher: &Hasher,
    who: &Caller,
    current: &str,
    new: String,
) -> Result<(), AccountError> {
    let id = who.id.clone();
    let user = db::run(pool, move |conn| store::user_by_id(conn, &id))
        .await?
        .ok_or(AccountError::NotFound)?;
    let plausible = current.len() <= crate::domain::Password::MAX * 4;
    let proved = plausible
        && hasher
            .verify(current, Some(&user.password_hash), Lane::Known)
            .await?;
    if !proved {
        let mut errors = FieldErrors::new();
        errors.insert(
            "current_password",
            vec![FieldError::new(Msg::InvalidCredentials)],
        );
        return Err(AccountError::Invalid(errors));
    }
    let wanted = AccountChange {
        password: Some(new),
        ..AccountChange::default()
    };
    apply(pool, hasher, &who.id, wanted, &who.id).await?;
    Ok(())
}
