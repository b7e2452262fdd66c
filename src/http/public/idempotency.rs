//! `Idempotency-Key` on the public forms: the key read, the body's fingerprint, the answer a
//! key already gave.

use actix_web::HttpRequest;

use super::decode::Encoding;
use crate::domain::FormKind;
use crate::http::ApiError;
use crate::http::startup::AppState;

/// What identifies a body under an idempotency key: its encoding and its bytes.
pub fn body_hash(encoding: Encoding, bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(match encoding {
        Encoding::Json => b"json\n".as_slice(),
        Encoding::Form => b"form\n".as_slice(),
    });
    hasher.update(bytes);
    crate::desk::auth::hex(&hasher.finalize())
}

/// The `Idempotency-Key` header: 1 to 255 visible ASCII characters, if sent.
pub fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let bytes = value.as_bytes();
    if bytes.is_empty() || bytes.len() > 255 || !bytes.iter().all(|b| (0x21..=0x7e).contains(b)) {
        return Err(ApiError::Malformed(
            "Idempotency-Key: 1 to 255 visible ASCII characters".into(),
        ));
    }
    Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
}

/// The reference a live key answers with, if its body is the same; 422 if it is not.
pub async fn replay(
    state: &AppState,
    form: FormKind,
    key: &str,
    hash: &str,
) -> Result<Option<String>, ApiError> {
    let key = key.to_owned();
    let found = crate::db::run(&state.pool, move |conn| {
        crate::db::submissions::idempotent(conn, form.as_str(), &key, crate::db::now())
    })
    .await?;
    match found {
        Some((stored, reference)) if stored == hash => Ok(Some(reference)),
        Some(_) => Err(ApiError::IdempotencyKeyReused),
        None => Ok(None),
    }
}
