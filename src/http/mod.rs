//! HTTP: turns requests into domain values, calls one service, maps the result to a response.

pub mod client_ip;
mod connections;
mod console;
mod corrections;
mod deadline;
pub mod error;
mod form_info;
pub mod headers;
mod inbound;
pub mod openapi;
mod ops;
mod pages;
pub mod privacy;
pub mod public;
pub mod request_log;
mod staff;
pub mod startup;
pub mod state;

use actix_web::web;

use crate::domain::Locale;
pub use error::ApiError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/", "GET").route(web::get().to(pages::demo)))
        .service(resource("/assets/courrier.css", "GET").route(web::get().to(pages::stylesheet)))
        .service(resource("/merci", "GET").route(web::get().to(pages::thank_you)))
        .service(
            resource("/v1/forms/newsroom", "GET, POST")
                .route(web::get().to(form_info::newsroom))
                .route(web::post().to(public::newsroom)),
        )
        .service(
            resource("/v1/forms/sales", "GET, POST")
                .route(web::get().to(form_info::sales))
                .route(web::post().to(public::sales)),
        )
        .service(resource("/v1/forms/{form}/token", "GET").route(web::get().to(public::token)))
        .service(resource("/corrections", "GET").route(web::get().to(corrections::page)))
        .service(resource("/corrections.json", "GET").route(web::get().to(corrections::json)))
        .service(resource("/corrections.atom", "GET").route(web::get().to(corrections::atom)))
        .service(
            resource("/v1/corrections/{id}", "PATCH, DELETE")
                .route(web::patch().to(corrections::change))
                .route(web::delete().to(corrections::unpublish)),
        )
        .service(resource("/health/live", "GET").route(web::get().to(ops::live)))
        .service(resource("/health/ready", "GET").route(web::get().to(ops::ready)))
        .service(resource("/metrics", "GET").route(web::get().to(ops::metrics)))
        .service(
            resource("/openapi.json", "GET").route(web::get().to(openapi::document::openapi_json)),
        )
        .service(resource("/docs", "GET").route(web::get().to(openapi::document::docs)))
        .app_data(staff::json_config())
        .app_data(staff::query_config())
        .app_data(staff::path_config())
        .configure(staff::routes)
        .configure(inbound::routes)
        .configure(privacy::routes)
        .configure(console::routes);
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(req: &actix_web::HttpRequest) -> Option<&str> {
    req.headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The language the request asks for in `Accept-Language` (French or English), else French.
pub fn request_locale(headers: &actix_web::http::header::HeaderMap) -> Locale {
    headers
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Locale::from_accept_language)
        .unwrap_or(Locale::Fr)
}

/// A route whose other methods answer 405 with the `Allow` list.
fn resource(path: &str, allow: &'static str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(move || async move {
        Err::<actix_web::HttpResponse, _>(ApiError::MethodNotAllowed(allow))
    }))
}

/// What answers a path no route knows.
pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
