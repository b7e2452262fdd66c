//! `PATCH` and `DELETE /v1/corrections/{id}`: staff fix a published correction, or take it off
//! the public page and feeds. Who may is the desk's to say (`desk::corrections::may_change`).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rfc3339;
use crate::desk::corrections::{self, Correction, CorrectionChange, CorrectionError};
use crate::desk::Caller;
use crate::http::openapi::{ErrorBody, Failures, SignedIn};
use crate::http::state::AppState;
use crate::http::ApiError;

impl From<CorrectionError> for ApiError {
    fn from(e: CorrectionError) -> Self {
        match e {
            CorrectionError::NotFound => ApiError::NotFound,
            CorrectionError::Forbidden => ApiError::Forbidden,
            CorrectionError::Invalid(fields) => ApiError::Validation(fields),
            CorrectionError::Db(e) => e.into(),
        }
    }
}

/// What to change in a correction; a field left out (or null) stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionPatch {
    /// The correction as it is to read (trimmed; up to 5,000 characters, none that XML 1.0
    /// cannot carry: `invalid_character`).
    #[schema(max_length = 5000)]
    text: Option<String>,
    /// The article corrected: an http(s) address.
    #[schema(max_length = 2000)]
    article_url: Option<String>,
    /// Whether it is listed on the public page and feeds.
    public: Option<bool>,
}

/// A correction as staff see it: public or not.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffCorrection {
    pub id: String,
    pub article_url: String,
    pub text: String,
    /// Whether it is listed on the public page and feeds.
    pub public: bool,
    /// RFC 3339, UTC.
    #[schema(format = DateTime)]
    pub published_at: String,
    /// When it was last changed or unpublished; its publication time until then. RFC 3339, UTC.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Correction> for StaffCorrection {
    fn from(c: Correction) -> Self {
        let updated_at = rfc3339(c.last_changed());
        StaffCorrection {
            id: c.id,
            article_url: c.article_url,
            text: c.text,
            public: c.public,
            published_at: rfc3339(c.published_at),
            updated_at,
        }
    }
}

/// Changes a correction: its text, its article, whether it is public. Admins, and staff of the
/// correction's desk; audited.
#[utoipa::path(patch, path = "/v1/corrections/{id}", tag = "corrections",
    operation_id = "change_correction", security(("bearer" = [])),
    params(("id" = String, Path, description = "The correction's id (`id` in `/corrections.json`)")),
    request_body = CorrectionPatch,
    responses(
        (status = 200, description = "The correction as changed", body = StaffCorrection),
        (status = 403, description = "Not on the correction's desk", body = ErrorBody),
        (status = 404, description = "No such correction", body = ErrorBody),
        (status = 422, description = "A field breaks a rule", body = ErrorBody),
        Failures, SignedIn,
    ))]
pub async fn change(
    state: web::Data<AppState>,
    who: Caller,
    id: web::Path<String>,
    body: web::Json<CorrectionPatch>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let changed = corrections::change(
        &state,
        &who,
        &id,
        CorrectionChange {
            text: body.text,
            article_url: body.article_url,
            public: body.public,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(StaffCorrection::from(changed)))
}

/// Unpublishes a correction: it leaves the public page and feeds, and stays on record (a
/// `PATCH` with `public: true` brings it back). Admins, and staff of the correction's desk;
/// audited.
#[utoipa::path(delete, path = "/v1/corrections/{id}", tag = "corrections",
    operation_id = "unpublish_correction", security(("bearer" = [])),
    params(("id" = String, Path, description = "The correction's id (`id` in `/corrections.json`)")),
    responses(
        (status = 204, description = "Unpublished (or already so)"),
        (status = 403, description = "Not on the correction's desk", body = ErrorBody),
        (status = 404, description = "No such correction", body = ErrorBody),
        SignedIn,
    ))]
pub async fn unpublish(
    state: web::Data<AppState>,
    who: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    corrections::unpublish(&state, &who, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
