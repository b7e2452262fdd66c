//! The staff API: sign-in, the queues, submissions, saved replies and accounts. Every route but sign-in needs
//! `Authorization: Bearer <token>`.

pub(crate) mod accounts;
pub(crate) mod handover;
mod history;
pub(crate) mod list;
pub(crate) mod report;
pub(crate) mod saved_replies;
pub(crate) mod session;
pub(crate) mod submissions;
pub(crate) mod thread;
mod values;
pub(crate) mod views;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::ApiError;
use crate::desk::Caller;
use crate::http::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    use super::resource;
    cfg.service(resource("/v1/auth/login", "POST").route(web::post().to(session::login)))
        .service(resource("/v1/auth/logout", "POST").route(web::post().to(session::logout)))
        .service(resource("/v1/auth/me", "GET").route(web::get().to(session::me)))
        .service(resource("/v1/queues", "GET").route(web::get().to(submissions::queues)))
        .service(resource("/v1/submissions", "GET").route(web::get().to(list::list)))
        .service(
            resource("/v1/submissions/{key}", "GET, PATCH")
                .route(web::get().to(submissions::detail))
                .route(web::patch().to(submissions::patch)),
        )
        .service(
            resource("/v1/submissions/{key}/notes", "POST")
                .route(web::post().to(submissions::add_note)),
        )
        .service(
            resource("/v1/submissions/{key}/replies", "POST")
                .route(web::post().to(submissions::reply)),
        )
        .service(
            resource("/v1/submissions/{key}/handover", "POST")
                .route(web::post().to(handover::hand_over)),
        )
        .service(
            resource("/v1/users", "GET, POST")
                .route(web::get().to(accounts::list))
                .route(web::post().to(accounts::create)),
        )
        .service(
            resource("/v1/saved-replies", "GET, POST")
                .route(web::get().to(saved_replies::list))
                .route(web::post().to(saved_replies::create)),
        )
        .service(
            resource("/v1/saved-replies/{id}", "GET, PATCH, DELETE")
                .route(web::get().to(saved_replies::get))
                .route(web::patch().to(saved_replies::change))
                .route(web::delete().to(saved_replies::delete)),
        )
        .service(resource("/v1/reports/desk", "GET").route(web::get().to(report::desk)))
        .service(resource("/v1/users/{id}", "PATCH").route(web::patch().to(accounts::change)))
        .service(
            resource("/v1/users/{id}/invitation", "POST").route(web::post().to(accounts::invite)),
        );
}

/// The signed-in staff member, from the bearer token.
impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Caller, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = super::bearer_token(req).map(str::to_owned);
        Box::pin(async move {
            let (Some(state), Some(token)) = (state, token) else {
                return Err(ApiError::Unauthorized);
            };
            Ok(state.auth.authenticate(&state.pool, &token).await?)
        })
    }
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
                actix_web::error::JsonPayloadError::Payload(e)
                    if crate::http::deadline::is_timeout(e) =>
                {
                    ApiError::Timeout
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
