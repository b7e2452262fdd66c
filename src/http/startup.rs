//! Building the application: migrations, pool, the outbox worker and the HTTP server, whose
//! port opens last.

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{web, App, HttpServer};
use anyhow::Context as _;

use crate::config::networks::Networks;
use crate::config::Settings;
use crate::desk::{Context, Pool};
use crate::instruments::Instruments;
use crate::mail::{Transport, Worker, WorkerHandle};

/// What every request handler shares: the desk (the use cases' context) and what only the web
/// needs.
pub struct AppState {
    pub desk: Context,
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

pub struct Application {
    shutting_down: Arc<AtomicBool>,
    drain: std::time::Duration,
    port: u16,
    server: Server,
    worker: Option<WorkerHandle>,
    pool: Pool,
    pruner: tokio::task::JoinHandle<()>,
    /// The duties scheduler (right-of-reply escalations), when this instance runs it.
    duties: Option<tokio::task::JoinHandle<()>>,
    /// The scheduled retention purge, when this instance runs it.
    retention: Option<tokio::task::JoinHandle<()>>,
    /// The IMAP poller, when `inbound.imap_url` is set.
    imap: Option<tokio::task::JoinHandle<()>>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let transport = Transport::from_settings(&settings.mail)?;
        let address = settings.http.address.clone();
        let workers = settings.http.workers;
        let grace = settings.http.shutdown_grace_seconds;
        let state_drain_ms = settings.http.shutdown_drain_ms;
        let header_timeout = std::time::Duration::from_millis(settings.http.header_timeout_ms);
        let max_connections = settings.http.max_connections;
        let web_policy = crate::http::headers::WebPolicy::new(&settings.site.origins);
        let trusted_proxies = Networks::new(&settings.http.trusted_proxies);
        let desk = Context::open(settings, Arc::new(Instruments::new())).await?;
        // The port opens only now, migrations done: whatever connects once it answers (a
        // health check, a CLI command started after it) finds the schema whole.
        let listener = TcpListener::bind(&address)
            .with_context(|| format!("http.address: cannot listen on {address}"))?;
        let port = listener.local_addr()?.port();
        let worker = desk.settings.mail.run_worker.then(|| {
            Worker::start(
                desk.pool.clone(),
                transport,
                &desk.settings.mail,
                desk.outbox_wakeup.clone(),
                desk.instruments.clone(),
            )
        });
        let consent_versions: Vec<&str> = desk
            .settings
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
        let pool = desk.pool.clone();
        let shutting_down = Arc::new(AtomicBool::new(false));
        let state = web::Data::new(AppState {
            desk,
            web_policy,
            shutting_down: shutting_down.clone(),
            trusted_proxies,
            openapi,
            docs,
        });
        // Housekeeping every minute; the task ends with the server.
        let swept = state.clone();
        let pruner = tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                every.tick().await;
                swept.desk.sweep().await;
            }
        });
        let duties = state.desk.settings.duties.run_scheduler.then(|| {
            let scheduled = state.clone();
            tokio::spawn(async move { crate::desk::duties::run_scheduler(&scheduled.desk).await })
        });
        let retention = state.desk.settings.retention.run_purge.then(|| {
            let purging = state.clone();
            tokio::spawn(async move {
                let desk = &purging.desk;
                crate::desk::retention::run_scheduled(&desk.pool, &desk.settings).await
            })
        });
        let imap = state.desk.settings.inbound.imap_url.is_some().then(|| {
            let polling = state.clone();
            tokio::spawn(async move { crate::desk::inbound::imap::run(&polling.desk).await })
        });
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
        // Signals are handled here, so readiness can turn 503 before the server stops.
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
        let server = server.run();
        tracing::info!(port, "listening");
        Ok(Application {
            drain: std::time::Duration::from_millis(state_drain_ms),
            shutting_down,
            port,
            server,
            worker,
            pool,
            pruner,
            duties,
            retention,
            imap,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    pub fn server_handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM or SIGINT (or the server handle) stops it: readiness turns 503,
    /// in-flight requests finish within `http.shutdown_grace_seconds`, then the outbox worker
    /// finishes its sends and gives back its leases.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let flag = self.shutting_down.clone();
        let drain = self.drain;
        let stop_worker = self.worker.as_ref().map(WorkerHandle::stopper);
        tokio::spawn(async move {
            if stop_signal().await.is_ok() {
                flag.store(true, Ordering::Relaxed);
                // The worker stops at once: what it has sent is recorded, the rest of its batch
                // goes back to the outbox for whichever instance runs on.
                if let Some(stop) = &stop_worker {
                    stop();
                }
                tracing::info!("stop signal received; readiness now 503");
                tokio::time::sleep(drain).await;
                tracing::info!("finishing in-flight requests");
                handle.stop(true).await;
            }
        });
        let served = self.server.await;
        self.pruner.abort();
        if let Some(duties) = &self.duties {
            duties.abort();
        }
        if let Some(retention) = &self.retention {
            retention.abort();
        }
        if let Some(imap) = self.imap {
            imap.abort();
        }
        if let Some(worker) = self.worker {
            worker.shutdown().await;
        }
        served.context("HTTP server")
    }
}

/// Waits for SIGTERM or SIGINT.
async fn stop_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}
