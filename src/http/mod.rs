//! HTTP: turns requests into domain values, calls one service, maps the result to a response.

pub mod error;
pub mod headers;
mod ops;
mod pages;
pub mod public;
pub mod request_log;
mod staff;

use actix_web::web;

pub use error::ApiError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(pages::demo))
        .route("/assets/courrier.css", web::get().to(pages::stylesheet))
        .route("/merci", web::get().to(pages::thank_you))
        .route("/v1/forms/newsroom", web::post().to(public::newsroom))
        .route("/v1/forms/sales", web::post().to(public::sales))
        .route("/health/live", web::get().to(ops::live))
        .route("/health/ready", web::get().to(ops::ready))
        .app_data(staff::json_config())
        .app_data(staff::query_config())
        .app_data(staff::path_config())
        .configure(staff::routes);
}
