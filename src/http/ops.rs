//! Health checks for load balancers and orchestrators.

use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;

use super::ApiError;
use crate::db;
use crate::domain::Locale;
use crate::startup::AppState;

/// The state of the process.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` (alive) or `ready`.
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/health/live", tag = "ops",
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The process can take submissions: not shutting down, and the database answers.
#[utoipa::path(get, path = "/health/ready", tag = "ops",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "Shutting down, or the database does not answer",
            body = super::openapi::ErrorBody,
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    ))]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    if state
        .shutting_down
        .load(std::sync::atomic::Ordering::Relaxed)
    {
        return ApiError::Unavailable("shutting down".into()).respond(Locale::En, None);
    }
    let checked = db::run(&state.pool, |conn| Ok(conn.batch_execute("SELECT 1")?)).await;
    match checked {
        Ok(()) => HttpResponse::Ok().json(Health { status: "ready" }),
        Err(e) => ApiError::from(e).respond(Locale::En, None),
    }
}
