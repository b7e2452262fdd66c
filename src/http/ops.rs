//! Health checks for load balancers and orchestrators.

use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;
use serde_json::json;

use super::ApiError;
use crate::db;
use crate::domain::Locale;
use crate::startup::AppState;

/// The process is up.
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// The process can take submissions: not shutting down, and the database answers.
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    if state
        .shutting_down
        .load(std::sync::atomic::Ordering::Relaxed)
    {
        return ApiError::Unavailable("shutting down".into()).respond(Locale::En, None);
    }
    let checked = db::run(&state.pool, |conn| Ok(conn.batch_execute("SELECT 1")?)).await;
    match checked {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Err(e) => ApiError::from(e).respond(Locale::En, None),
    }
}
