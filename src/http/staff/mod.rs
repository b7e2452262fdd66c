//! The staff API: sign-in, the queues, submissions and accounts. Every route but sign-in needs
//! `Authorization: Bearer <token>`.

mod accounts;
mod session;
mod submissions;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use chrono::NaiveDateTime;
use futures_util::future::LocalBoxFuture;

use super::ApiError;
use crate::auth::{AuthError, StaffUser};
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/auth/login", web::post().to(session::login))
        .route("/v1/auth/logout", web::post().to(session::logout))
        .route("/v1/auth/me", web::get().to(session::me))
        .route("/v1/queues", web::get().to(submissions::queues))
        .route("/v1/submissions", web::get().to(submissions::list))
        .route("/v1/submissions/{key}", web::get().to(submissions::detail))
        .route("/v1/submissions/{key}", web::patch().to(submissions::patch))
        .route(
            "/v1/submissions/{key}/notes",
            web::post().to(submissions::add_note),
        )
        .route(
            "/v1/submissions/{key}/replies",
            web::post().to(submissions::reply),
        )
        .route("/v1/users", web::get().to(accounts::list))
        .route("/v1/users", web::post().to(accounts::create))
        .route("/v1/users/{id}", web::patch().to(accounts::change));
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::InvalidCredentials => ApiError::InvalidCredentials,
            AuthError::Unauthenticated => ApiError::Unauthorized,
            AuthError::TooManyAttempts { retry_after_secs } => {
                ApiError::TooManyRequests { retry_after_secs }
            }
            AuthError::Hash(crate::auth::HashError::Busy) => {
                ApiError::Unavailable("password hashing busy".into())
            }
            AuthError::Hash(e) => ApiError::Internal(e.to_string()),
            AuthError::Db(e) => e.into(),
        }
    }
}

/// The signed-in staff member, from the bearer token.
impl FromRequest for StaffUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<StaffUser, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned());
        Box::pin(async move {
            let (Some(state), Some(token)) = (state, token) else {
                return Err(ApiError::Unauthorized);
            };
            Ok(state.auth.authenticate(&state.pool, &token).await?)
        })
    }
}

/// Only admins pass.
fn require_admin(who: &StaffUser) -> Result<(), ApiError> {
    if who.role == crate::domain::Role::Admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// Timestamps leave as RFC 3339 in UTC.
pub fn ts(t: NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// JSON bodies of the staff API: unknown fields and malformed JSON answer 400 in our shape.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(64 * 1024)
        .error_handler(|err, _req| {
            let api = match &err {
                actix_web::error::JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
                actix_web::error::JsonPayloadError::Overflow { .. }
                | actix_web::error::JsonPayloadError::OverflowKnownLength { .. } => {
                    ApiError::TooLarge
                }
                other => ApiError::Malformed(other.to_string()),
            };
            api.into()
        })
}

/// Query strings that do not parse answer 400 in our shape.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|err, _req| ApiError::Malformed(err.to_string()).into())
}

/// Path segments that do not parse answer 400 in our shape.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|err, _req| ApiError::Malformed(err.to_string()).into())
}
