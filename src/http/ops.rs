//! Health checks for load balancers and orchestrators.

use actix_web::{web, HttpRequest, HttpResponse};
use secrecy::ExposeSecret;

use super::ApiError;
use crate::desk::health;
use crate::http::state::AppState;
use crate::instruments;

/// The state of the process.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` (alive), `ready`, or `degraded` (ready, but the shared limits store does not
    /// answer: this instance counts its limits alone).
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/health/live", tag = "ops",
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The process can take submissions: not shutting down, and the database answers. `degraded`
/// (still 200) when the limits are shared but Redis does not answer.
#[utoipa::path(get, path = "/health/ready", tag = "ops",
    responses(
        (status = 200, description = "Ready, or degraded (limits counted by this instance alone)", body = Health),
        (status = 503, description = "Shutting down, or the database does not answer",
            body = super::openapi::ErrorBody,
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    ))]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if state
        .shutting_down
        .load(std::sync::atomic::Ordering::Relaxed)
    {
        return Err(ApiError::Unavailable("shutting down".into()));
    }
    health::database_answers(&state).await?;
    let status = if health::limits_degraded(&state).await {
        "degraded"
    } else {
        "ready"
    };
    Ok(HttpResponse::Ok().json(Health { status }))
}

/// Prometheus's scrape, behind `metrics.token`.
#[utoipa::path(get, path = "/metrics", tag = "ops", security(("metrics" = [])),
    responses(
        (status = 200, description = "The figures, in the Prometheus text format",
            content_type = "text/plain", body = String),
        (status = 401, description = "No token, or not the configured one",
            body = super::openapi::ErrorBody,
            headers(("WWW-Authenticate" = String, description = "Bearer"))),
        (status = 404, description = "Metrics are off: no `metrics.token` is configured",
            body = super::openapi::ErrorBody),
        (status = 503, description = "The database does not answer",
            body = super::openapi::ErrorBody,
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    ))]
pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(token) = &state.settings.metrics.token else {
        return Err(ApiError::NotFound);
    };
    let sent = super::bearer_token(&req).unwrap_or_default();
    if !crate::desk::auth::same_secret(sent, token.expose_secret()) {
        return Err(ApiError::Unauthorized);
    }
    let stats = health::outbox(&state).await?;
    let m = &state.instruments;
    for status in health::MailStatus::ALL {
        let n = stats
            .by_status
            .iter()
            .find(|(s, _)| s == status)
            .map_or(0, |(_, n)| *n);
        m.gauge(
            instruments::OUTBOX_JOBS,
            &[("state", status.as_str())],
            n as f64,
        );
    }
    let age = stats.oldest_pending.map_or(0.0, |t| {
        (crate::desk::now() - t).num_milliseconds().max(0) as f64 / 1000.0
    });
    m.gauge(instruments::OUTBOX_OLDEST_PENDING, &[], age);
    let pool = health::pool(&state);
    m.gauge(
        instruments::POOL_CONNECTIONS,
        &[("state", "idle")],
        f64::from(pool.idle),
    );
    m.gauge(
        instruments::POOL_CONNECTIONS,
        &[("state", "in_use")],
        f64::from(pool.in_use),
    );
    m.gauge(instruments::POOL_MAX, &[], f64::from(pool.max));
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(m.render()))
}
