//! The use cases: what the desk does, whichever way a request comes in (the JSON API, the
//! console, mail, the command line, a scheduler). Nothing here knows HTTP.

pub mod account_self;
pub mod accounts;
pub mod acts;
pub mod auth;
pub mod caller;
mod change;
pub mod closing;
pub mod consent;
pub mod conversation;
pub mod corrections;
pub mod duties;
pub mod group_commit;
pub mod handover;
pub mod health;
pub mod heavy_reads;
pub mod idempotency;
pub mod inbound;
pub mod inbox;
pub mod intake;
pub mod invitations;
pub mod limit_store;
mod limiter;
pub mod limits;
pub mod outgoing;
pub mod privacy;
pub mod reading;
pub mod report;
pub mod retention;
pub mod saved_replies;
pub mod screening;
pub mod seed;
pub mod triage;
pub mod views;

use std::sync::Arc;

use anyhow::Context as _;
use lettre::message::Mailbox;
use tokio::sync::Notify;

use crate::config::Settings;
use crate::db::{self, Manager};
use crate::domain::Router;
use crate::instruments::Instruments;

use crate::db::Pool;
pub use crate::domain::{now, DbError};
pub use caller::{Caller, Denied};

/// What the use cases share, whichever way a request comes in: storage, the settings, routing,
/// the sender's address, the outbox worker's wake-up, sign-in, the spam checks and the limits.
pub struct Context {
    pub pool: Pool,
    pub settings: Arc<Settings>,
    pub router: Router,
    /// `mail.from`, parsed once.
    pub sender: Mailbox,
    /// Each queue's own sender (`queues.<name>.address`), parsed once.
    pub queue_senders: std::collections::BTreeMap<String, Mailbox>,
    /// The one composer of outgoing mail (`outgoing`).
    pub outgoing: outgoing::Composer,
    /// Notified after each commit that writes e-mail, so the worker sends at once.
    pub outbox_wakeup: Arc<Notify>,
    pub auth: auth::Auth,
    pub instruments: Arc<Instruments>,
    pub screen: screening::Screen,
    pub form_limits: limits::FormLimits,
    /// The console inbox's side panel, a few seconds stale at most.
    pub queue_counts: inbox::CountsCache,
    /// Where the limits count (`limits.store`), and whether it answers.
    pub limit_store: Arc<limit_store::LimitStore>,
    /// Group commit of intake: the writer task concurrent submissions share.
    pub intake_writer: group_commit::IntakeWriter,
    /// Reports and text searches, bounded, on connections of their own.
    pub heavy_reads: heavy_reads::HeavyReads,
}

/// How much of the desk a process opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opening {
    /// `courrier serve`: migrated, checked for misfiled rows, intake through the group-commit
    /// writer task.
    Serve,
    /// A command line verb: migrated (a fresh database works), no task started.
    Command,
    /// One piped message (`mail ingest`): the database as it is, nothing started.
    Light,
}

impl Context {
    /// The desk for serving: the database migrated, then pooled; routing, the sender, sign-in,
    /// the spam checks and the limits built once; intake through the group-commit writer.
    pub async fn open(
        settings: Settings,
        instruments: Arc<Instruments>,
    ) -> anyhow::Result<Context> {
        Context::assemble(settings, instruments, Opening::Serve).await
    }

    /// The desk for a command line verb: migrated, so that a verb run on a fresh database
    /// works, but with no task started (each submission is written by its own call).
    pub async fn open_for_command(
        settings: Settings,
        instruments: Arc<Instruments>,
    ) -> anyhow::Result<Context> {
        Context::assemble(settings, instruments, Opening::Command).await
    }

    /// The lightest desk, for one piped message: no migration, no check, no task; the
    /// database is the one `courrier serve` keeps migrated.
    pub async fn open_light(
        settings: Settings,
        instruments: Arc<Instruments>,
    ) -> anyhow::Result<Context> {
        Context::assemble(settings, instruments, Opening::Light).await
    }

    async fn assemble(
        settings: Settings,
        instruments: Arc<Instruments>,
        opening: Opening,
    ) -> anyhow::Result<Context> {
        let router = settings
            .router()
            .map_err(|e| anyhow::anyhow!("routing: {e}"))?;
        let sender: Mailbox = settings.mail.from.parse().context("mail.from")?;
        let queue_senders: std::collections::BTreeMap<String, Mailbox> = settings
            .queues
            .iter()
            .filter_map(|(name, q)| q.address.as_ref().map(|a| (name, a)))
            .map(|(name, address)| {
                let parsed: Mailbox = address
                    .parse()
                    .with_context(|| format!("queues.{name}.address"))?;
                Ok((name.clone(), parsed))
            })
            .collect::<anyhow::Result<_>>()?;
        if opening != Opening::Light {
            migrate(&settings).await?;
        }
        let pool = db::pool(&settings.database)?;
        let heavy_reads = heavy_reads::HeavyReads::new(
            db::pool_for_heavy_reads(&settings.database)?,
            settings.database.heavy_reads.connections,
        );
        if opening == Opening::Serve {
            let misfiled = handover::misfiled(&pool, &settings).await?;
            if !misfiled.is_empty() {
                anyhow::bail!("{}", handover::misfiled_report(&misfiled));
            }
        }
        let hash_key = secrecy::ExposeSecret::expose_secret(&settings.privacy.ip_hash_key);
        let limit_store =
            limit_store::LimitStore::open(&settings.limits, hash_key, instruments.clone())?;
        let auth = auth::Auth::new(settings.auth.clone(), hash_key, &limit_store)?;
        let screen = screening::Screen::new(
            &settings.antispam,
            secrecy::ExposeSecret::expose_secret(&settings.privacy.ip_hash_key),
        )?;
        let form_limits = limits::FormLimits::new(&settings.limits, &limit_store);
        let backend = crate::config::Backend::from_url(secrecy::ExposeSecret::expose_secret(
            &settings.database.url,
        ))
        .unwrap_or(crate::config::Backend::Sqlite);
        let intake_writer = match opening {
            Opening::Serve => group_commit::IntakeWriter::start(
                pool.clone(),
                backend,
                &settings.database.group_commit,
                instruments.clone(),
            ),
            Opening::Command | Opening::Light => group_commit::IntakeWriter::inline(pool.clone()),
        };
        let settings = Arc::new(settings);
        let outgoing =
            outgoing::Composer::new(settings.clone(), sender.clone(), queue_senders.clone());
        Ok(Context {
            pool,
            settings,
            outgoing,
            router,
            sender,
            queue_senders,
            outbox_wakeup: Arc::new(Notify::new()),
            auth,
            instruments,
            screen,
            form_limits,
            queue_counts: inbox::CountsCache::default(),
            limit_store,
            intake_writer,
            heavy_reads,
        })
    }

    /// Who a queue's replies come from: its own address, else `mail.from`.
    pub fn sender_for(&self, queue: &str) -> &Mailbox {
        self.outgoing.sender_for(queue)
    }

    /// Housekeeping, every minute: the limiters forget quiet keys, expired idempotency keys and
    /// sign-in throttle rows go.
    pub async fn sweep(&self) {
        self.form_limits.prune();
        self.auth.prune_limits();
        if let Err(e) = self.auth.sweep(&self.pool).await {
            tracing::warn!(error = %e, "expired sign-in throttle rows not purged");
        }
        if let Err(e) = idempotency::sweep(self).await {
            tracing::warn!(error = %e, "expired idempotency keys not purged");
        }
        // No acknowledgement cap looks back further than a day.
        let day_ago = db::now() - chrono::Duration::days(1);
        if let Err(e) = db::run(&self.pool, move |conn| {
            db::acks::forget_before(conn, day_ago)
        })
        .await
        {
            tracing::warn!(error = %e, "old acknowledgement log rows not purged");
        }
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
