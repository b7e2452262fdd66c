//! `Idempotency-Key` on the public forms: the key, the body's fingerprint, what a key seen
//! before says to do next, and the sweep of expired keys. The key is saved with its submission,
//! in the same transaction (`intake`).

use chrono::NaiveDateTime;

use super::{Context, DbError};
use crate::db;
use crate::db::idempotency::IdempotencyRow;
use crate::domain::FormKind;

/// A key as the client sent it: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

#[derive(Debug, thiserror::Error)]
#[error("Idempotency-Key: 1 to 255 visible ASCII characters")]
pub struct BadKey;

impl IdempotencyKey {
    pub fn parse(bytes: &[u8]) -> Result<IdempotencyKey, BadKey> {
        if bytes.is_empty() || bytes.len() > 255 || !bytes.iter().all(|b| (0x21..=0x7e).contains(b))
        {
            return Err(BadKey);
        }
        Ok(IdempotencyKey(String::from_utf8_lossy(bytes).into_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What identifies a body under a key: how it was encoded, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// `encoding` names the body's format (`json`, `form`): the same bytes in another format
    /// are another body.
    pub fn of(encoding: &str, bytes: &[u8]) -> Fingerprint {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        hasher.update(encoding.as_bytes());
        hasher.update(b"\n");
        hasher.update(bytes);
        Fingerprint(super::auth::hex(&hasher.finalize()))
    }
}

/// A post's key with its body's fingerprint.
#[derive(Debug, Clone)]
pub struct Keyed {
    pub key: IdempotencyKey,
    pub fingerprint: Fingerprint,
}

/// What to do with a post, given its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Never seen (or expired): store it.
    Store,
    /// Seen with the same body: answer with this reference again.
    Replay(String),
    /// Seen with another body: refuse.
    Refuse,
}

/// What a live key says about a post under it. An expired key is forgotten on the way.
pub async fn next(desk: &Context, form: FormKind, keyed: &Keyed) -> Result<Next, DbError> {
    let key = keyed.key.0.clone();
    let found = db::run(&desk.pool, move |conn| {
        db::idempotency::idempotent(conn, form.as_str(), &key, db::now())
    })
    .await?;
    Ok(match found {
        Some((stored, reference)) if stored == keyed.fingerprint.0 => Next::Replay(reference),
        Some(_) => Next::Refuse,
        None => Next::Store,
    })
}

/// The row that saves a key with its submission; it lives `limits.idempotency_hours`.
pub(crate) fn row(
    desk: &Context,
    form: FormKind,
    keyed: &Keyed,
    submission_id: &str,
    now: NaiveDateTime,
) -> IdempotencyRow {
    IdempotencyRow {
        form: form.as_str().to_owned(),
        key: keyed.key.0.clone(),
        body_hash: keyed.fingerprint.0.clone(),
        submission_id: submission_id.to_owned(),
        created_at: now,
        expires_at: now
            + chrono::Duration::hours(i64::from(desk.settings.limits.idempotency_hours)),
    }
}

/// Forgets every expired key.
pub async fn sweep(desk: &Context) -> Result<usize, DbError> {
    db::run(&desk.pool, |conn| {
        db::idempotency::forget_expired_keys(conn, None, db::now())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_one_to_255_visible_ascii_characters() {
        assert!(IdempotencyKey::parse(b"abc-123").is_ok());
        assert!(IdempotencyKey::parse(&[b'k'; 255]).is_ok());
        assert!(IdempotencyKey::parse(&[b'k'; 256]).is_err());
        assert!(IdempotencyKey::parse(b"").is_err());
        assert!(IdempotencyKey::parse(b"a b").is_err());
        assert!(IdempotencyKey::parse("clé".as_bytes()).is_err());
    }

    #[test]
    fn the_same_bytes_in_another_encoding_are_another_body() {
        assert_eq!(Fingerprint::of("json", b"x"), Fingerprint::of("json", b"x"));
        assert_ne!(Fingerprint::of("json", b"x"), Fingerprint::of("form", b"x"));
    }
}
