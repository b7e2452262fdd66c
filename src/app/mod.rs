//! The process: opens the desk, starts the web server and the background tasks beside it
//! (`tasks`), and stops them in order on SIGTERM or SIGINT. It sits above `http` and below
//! `main`: the web layer serves requests and knows nothing of the tasks.

mod tasks;

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::web;
use anyhow::Context as _;

use crate::config::Settings;
use crate::db::Pool;
use crate::desk::Context;
use crate::instruments::Instruments;
use tasks::Running;

pub struct Application {
    shutting_down: Arc<AtomicBool>,
    drain: std::time::Duration,
    port: u16,
    server: Server,
    pool: Pool,
    /// The background tasks, in the order they stop.
    tasks: Vec<Running>,
}

impl Application {
    /// Opens the desk (migrating the database first), then the port: whatever connects once it
    /// answers finds the schema whole. The background tasks this configuration asks for start
    /// with it.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let transport = crate::mail::Transport::from_settings(&settings.mail)?;
        let address = settings.http.address.clone();
        let desk = Arc::new(Context::open(settings, Arc::new(Instruments::new())).await?);
        // The first unknown address to sign in waits no longer than the others.
        desk.auth.hasher.warm().await?;
        let listener = TcpListener::bind(&address)
            .with_context(|| format!("http.address: cannot listen on {address}"))?;
        let port = listener.local_addr()?.port();
        let shutting_down = Arc::new(AtomicBool::new(false));
        let state = web::Data::new(crate::http::startup::state(
            desk.clone(),
            shutting_down.clone(),
        )?);
        let tasks = tasks::start(&desk, transport);
        let server = crate::http::startup::server(state, listener)?;
        tracing::info!(port, "listening");
        Ok(Application {
            drain: std::time::Duration::from_millis(desk.settings.http.shutdown_drain_ms),
            pool: desk.pool.clone(),
            shutting_down,
            port,
            server,
            tasks,
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
        let stoppers: Vec<_> = self.tasks.iter().filter_map(Running::stopper).collect();
        tokio::spawn(async move {
            if stop_signal().await.is_ok() {
                flag.store(true, Ordering::Relaxed);
                // The worker stops at once: what it has sent is recorded, the rest of its batch
                // goes back to the outbox for whichever instance runs on.
                for stop in &stoppers {
                    stop();
                }
                tracing::info!("stop signal received; readiness now 503");
                tokio::time::sleep(drain).await;
                tracing::info!("finishing in-flight requests");
                handle.stop(true).await;
            }
        });
        let served = self.server.await;
        for task in self.tasks {
            task.stop().await;
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
