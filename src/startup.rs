//! Building the application: pool, migrations, the outbox worker and the HTTP server.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use lettre::message::Mailbox;
use secrecy::ExposeSecret;
use tokio::sync::Notify;

use crate::auth::Auth;
use crate::config::{MailTransportKind, Settings};
use crate::db::{self, Manager, Pool};
use crate::domain::Router;
use crate::mail::{SmtpTarget, Transport, Worker, WorkerHandle};

/// What every request handler shares.
pub struct AppState {
    pub pool: Pool,
    pub settings: Arc<Settings>,
    pub router: Router,
    pub sender: Mailbox,
    /// Notified after each committed submission so the worker sends at once.
    pub outbox_wakeup: Arc<Notify>,
    pub auth: Auth,
}

pub struct Application {
    port: u16,
    server: Server,
    worker: Option<WorkerHandle>,
    pool: Pool,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let router = settings
            .router()
            .map_err(|e| anyhow::anyhow!("routing: {e}"))?;
        let sender: Mailbox = settings.mail.from.parse().context("mail.from")?;
        migrate(&settings).await?;
        let pool = db::pool(&settings.database)?;
        let transport = match settings.mail.transport {
            MailTransportKind::File => {
                std::fs::create_dir_all(&settings.mail.file_dir).with_context(|| {
                    format!(
                        "mail.file_dir: cannot create {}",
                        settings.mail.file_dir.display()
                    )
                })?;
                Transport::File(settings.mail.file_dir.clone())
            }
            MailTransportKind::Smtp => {
                let url = settings
                    .mail
                    .smtp_url
                    .as_ref()
                    .context("mail.smtp_url is required with the smtp transport")?;
                Transport::Smtp(
                    SmtpTarget::parse(url.expose_secret())
                        .map_err(|e| anyhow::anyhow!("mail.smtp_url: {e}"))?,
                )
            }
        };
        let wakeup = Arc::new(Notify::new());
        let worker = settings
            .mail
            .run_worker
            .then(|| Worker::start(pool.clone(), transport, &settings.mail, wakeup.clone()));
        let listener = TcpListener::bind(&settings.http.address)
            .with_context(|| format!("http.address: cannot listen on {}", settings.http.address))?;
        let port = listener.local_addr()?.port();
        let workers = settings.http.workers;
        let auth = Auth::new(settings.auth.clone())?;
        let state = web::Data::new(AppState {
            auth,
            pool: pool.clone(),
            settings: Arc::new(settings),
            router,
            sender,
            outbox_wakeup: wakeup,
        });
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .configure(crate::http::routes)
        })
        .listen(listener)?;
        if workers > 0 {
            server = server.workers(workers);
        }
        let server = server.run();
        tracing::info!(port, "listening");
        Ok(Application {
            port,
            server,
            worker,
            pool,
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

    /// Serves until the server stops (a signal, or its handle), then stops the worker.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let served = self.server.await;
        if let Some(worker) = self.worker {
            worker.shutdown().await;
        }
        served.context("HTTP server")
    }
}

/// Connects once outside the pool, so the operator sees the real connection error, and
/// applies pending migrations.
pub async fn migrate(settings: &Settings) -> anyhow::Result<usize> {
    let manager = Manager::new(&settings.database)?;
    let applied = tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
        let mut conn = manager
            .establish()
            .context("database.url: cannot connect to the database")?;
        Ok(db::migrate(&mut conn)?)
    })
    .await??;
    if applied > 0 {
        tracing::info!(applied, "database migrated");
    }
    Ok(applied)
}
