//! The `Idempotency-Key` header of the public forms (what a key means is the desk's business).

use actix_web::HttpRequest;

use crate::desk::idempotency::IdempotencyKey;
use crate::http::ApiError;

/// The `Idempotency-Key` header, if sent.
pub fn idempotency_key(req: &HttpRequest) -> Result<Option<IdempotencyKey>, ApiError> {
    req.headers()
        .get("idempotency-key")
        .map(|value| IdempotencyKey::parse(value.as_bytes()))
        .transpose()
        .map_err(|e| ApiError::Malformed(e.to_string()))
}
