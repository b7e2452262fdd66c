//! The web server: its handlers' shared state, built once the desk is open, and the server itself.
//! The process around it (the desk, the background tasks, signals) is `app`'s.

use std::net::TcpListener;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};

use crate::config::networks::Networks;
use crate::desk::Context;
use crate::http::state::AppState;

/// How long a client has to finish closing once the server has decided to close.
const DISCONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// The web half of a desk: its routes' state, built once the desk is open.
pub fn state(desk: Arc<Context>, shutting_down: Arc<AtomicBool>) -> anyhow::Result<AppState> {
    let settings = &desk.settings;
    let trusted_proxies = Networks::new(&settings.http.trusted_proxies);
    let consent_versions: Vec<&str> = settings
        .site
        .consent_history
        .keys()
        .map(String::as_str)
        .collect();
    let openapi = crate::http::openapi::document::document_with(
        desk.screen.honeypot_field(),
        desk.screen.captcha_field(),
        &consent_versions,
    );
    let docs = crate::http::openapi::docs_page(&openapi)
        .map_err(|e| anyhow::anyhow!("the API reference page: {e}"))?;
    Ok(AppState {
        desk,
        shutting_down,
        trusted_proxies,
        openapi,
        docs,
    })
}

/// The HTTP server on `listener`, serving the routes with `state`, under the limits of
/// `http.*`; it runs once awaited.
pub fn server(state: web::Data<AppState>, listener: TcpListener) -> std::io::Result<Server> {
    let http = &state.desk.settings.http;
    let (workers, grace, max_connections) = (
        http.workers,
        http.shutdown_grace_seconds,
        http.max_connections,
    );
    let header_timeout = std::time::Duration::from_millis(http.header_timeout_ms);
    // The pages' policy, read by the headers' middleware on every answer.
    let policy = web::Data::new(crate::http::headers::WebPolicy::new(
        &state.desk.settings.site.origins,
    ));
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(policy.clone())
            .configure(crate::http::routes)
            .default_service(web::to(crate::http::not_found))
            .wrap(actix_web::middleware::from_fn(crate::http::headers::apply))
            .wrap(actix_web::middleware::from_fn(
                crate::http::deadline::limit_body,
            ))
            .wrap(actix_web::middleware::from_fn(
                crate::http::request_log::log_requests,
            ))
    })
    .shutdown_timeout(grace)
    // Signals are handled by the process (`app`), so readiness can turn 503 before the
    // server stops.
    .disable_signals()
    // Slow or idle clients must not hold connections: the first request head has a time
    // limit (actix applies it to a connection's first request only; later ones have the
    // keep-alive limit until their first byte), each body has one (`deadline`), and a
    // closing client has a second to go.
    .client_request_timeout(header_timeout)
    .client_disconnect_timeout(DISCONNECT_TIMEOUT)
    .max_connections(max_connections)
    .on_connect(crate::http::connections::counter(max_connections))
    .listen(listener)?;
    if workers > 0 {
        server = server.workers(workers);
    }
    Ok(server.run())
}
