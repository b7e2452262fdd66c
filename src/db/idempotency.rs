//! Idempotency keys of the public forms: the row, the lookup, the save and the sweep. The key is
//! written with its submission (see `db::intake`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{idempotency_keys, submissions};
use super::{DbConnection, DbError};

/// The name PostgreSQL gives the key's primary key: a clash on it is a race on the key.
pub const PG_KEY_CONSTRAINT: &str = "idempotency_keys_pkey";

/// An `Idempotency-Key` and the submission it answers with.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub struct IdempotencyRow {
    pub form: String,
    pub key: String,
    pub body_hash: String,
    pub submission_id: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// What a live key answers with: the hash of the body first sent under it, and the reference.
/// An expired key is forgotten on the way, so that it may be used afresh.
pub fn idempotent(
    conn: &mut DbConnection,
    form: &str,
    key: &str,
    now: NaiveDateTime,
) -> Result<Option<(String, String)>, DbError> {
    let found: Option<(String, String, NaiveDateTime)> = idempotency_keys::table
        .inner_join(submissions::table.on(submissions::id.eq(idempotency_keys::submission_id)))
        .filter(idempotency_keys::form.eq(form))
        .filter(idempotency_keys::key.eq(key))
        .select((
            idempotency_keys::body_hash,
            submissions::reference,
            idempotency_keys::expires_at,
        ))
        .first(conn)
        .optional()?;
    match found {
        Some((hash, reference, expires)) if expires > now => Ok(Some((hash, reference))),
        Some(_) => {
            forget_expired_keys(conn, Some((form, key)), now)?;
            Ok(None)
        }
        None => Ok(None),
    }
}

/// Saves a key inside the caller's transaction; `false` when the key is already held (another
/// post under it was stored first).
pub fn save(conn: &mut diesel::SqliteConnection, key: &IdempotencyRow) -> QueryResult<bool> {
    let written = diesel::insert_into(idempotency_keys::table)
        .values(key)
        .on_conflict((idempotency_keys::form, idempotency_keys::key))
        .do_nothing()
        .execute(conn)?;
    Ok(written == 1)
}

/// Forgets expired keys (one form's one key, or all of them): they may be used afresh.
pub fn forget_expired_keys(
    conn: &mut DbConnection,
    only: Option<(&str, &str)>,
    now: NaiveDateTime,
) -> Result<usize, DbError> {
    let expired = idempotency_keys::table.filter(idempotency_keys::expires_at.le(now));
    super::write(conn, |conn| {
        Ok(match only {
            Some((form, key)) => diesel::delete(
                expired
                    .filter(idempotency_keys::form.eq(form))
                    .filter(idempotency_keys::key.eq(key)),
            )
            .execute(conn)?,
            None => diesel::delete(expired).execute(conn)?,
        })
    })
}
