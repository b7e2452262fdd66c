//! The web server: what every handler shares (`AppState`) and the server itself. The process
//! around it (the desk, the background tasks, signals) is `app`'s.

use std::net::TcpListener;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};

use crate::config::networks::Networks;
use crate::desk::Context;

/// What every request handler shares: the desk (the use cases' context) and what only the web
/// needs.
pub struct AppState {
    pub desk: Arc<Context>,
    pub web_policy: crate::http::headers::WebPolicy,
    /// Set when a stop signal arrives: readiness answers 503 from then on.
    pub shutting_down: Arc<AtomicBool>,
    pub trusted_proxies: Networks,
    /// The OpenAPI document, built for this configuration, and its page for people.
    pub openapi: String,
    pub docs: String,
}

/// Handlers pass `&state` where a use case wants the desk.
impl std::ops::Deref for AppState {
    type Target = Context;

    fn deref(&self) -> &Context {
        &self.desk
    }
}

/// How long a client has to finish closing once the server has decided to close.
const DISCONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// The web half of a desk: its routes' state, built once the desk is open.
pub fn state(desk: Arc<Context>, shutting_down: Arc<AtomicBool>) -> anyhow::Result<AppState> {
    let settings = &desk.settings;
    let web_policy = crate::http::headers::WebPolicy::new(&settings.site.origins);
    let trusted_proxies = Networks::new(&settings.http.trusted_proxies);
    let consent_versions: Vec<&str> = settings
        .site
        .consent_history
        .keys()
        .map(String::as_str)
        .collect();
    let openapi = crate::http::openapi::document_with(
        desk.screen.honeypot_field(),
        desk.screen.captcha_field(),
        &consent_versions,
    );
    let docs = crate::http::openapi::docs_page(&openapi)
        .map_err(|e| anyhow::anyhow!("the API reference page: {e}"))?;
    Ok(AppState {
        desk,
        web_policy,
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
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
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
