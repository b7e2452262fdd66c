//! The background tasks of `courrier serve`, each behind one small trait: the outbox worker,
//! the IMAP poller, the duties scheduler, the retention purge and the minute's sweeps. Each
//! calls the same use cases as every other way in.

use std::sync::Arc;

use crate::desk::Context;
use crate::mail::{Transport, Worker, WorkerHandle};

/// A task that runs beside the web server for the life of the process.
trait Background {
    /// For the logs.
    fn name(&self) -> &'static str;
    /// Whether this configuration asks for it.
    fn wanted(&self, desk: &Context) -> bool;
    /// Starts it on the current runtime.
    fn start(self: Box<Self>, desk: Arc<Context>) -> Running;
}

/// A started task, and how it stops.
pub(super) enum Running {
    /// Dropped at shutdown: it holds nothing that must be finished.
    Loop(&'static str, tokio::task::JoinHandle<()>),
    /// The outbox worker: told to stop at the signal, then waited for, so that what it sent is
    /// recorded and the rest goes back to the outbox.
    Worker(WorkerHandle),
}

impl Running {
    /// What tells it to stop at once, if it needs telling.
    pub(super) fn stopper(&self) -> Option<Box<dyn Fn() + Send + Sync>> {
        match self {
            Running::Loop(..) => None,
            Running::Worker(w) => Some(Box::new(w.stopper())),
        }
    }

    pub(super) async fn stop(self) {
        match self {
            Running::Loop(name, handle) => {
                handle.abort();
                tracing::debug!(task = name, "stopped");
            }
            Running::Worker(worker) => worker.shutdown().await,
        }
    }
}

/// Starts every task the configuration asks for, the worker first.
pub(super) fn start(desk: &Arc<Context>, transport: Transport) -> Vec<Running> {
    let all: Vec<Box<dyn Background>> = vec![
        Box::new(OutboxWorker(transport)),
        Box::new(Sweeps),
        Box::new(DutiesScheduler),
        Box::new(RetentionPurge),
        Box::new(ImapPoller),
    ];
    all.into_iter()
        .filter(|task| task.wanted(desk))
        .map(|task| {
            tracing::debug!(task = task.name(), "starting");
            task.start(desk.clone())
        })
        .collect()
}

/// Sends the outbox (`mail.run_worker`).
struct OutboxWorker(Transport);

impl Background for OutboxWorker {
    fn name(&self) -> &'static str {
        "outbox worker"
    }

    fn wanted(&self, desk: &Context) -> bool {
        desk.settings.mail.run_worker
    }

    fn start(self: Box<Self>, desk: Arc<Context>) -> Running {
        Running::Worker(Worker::start(
            desk.pool.clone(),
            self.0,
            &desk.settings.mail,
            crate::mail::teams(&desk.settings),
            desk.outbox_wakeup.clone(),
            desk.instruments.clone(),
        ))
    }
}

/// Housekeeping every minute (`Context::sweep`).
struct Sweeps;

impl Background for Sweeps {
    fn name(&self) -> &'static str {
        "sweeps"
    }

    fn wanted(&self, _: &Context) -> bool {
        true
    }

    fn start(self: Box<Self>, desk: Arc<Context>) -> Running {
        Running::Loop(
            self.name(),
            tokio::spawn(async move {
                let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
                loop {
                    every.tick().await;
                    desk.sweep().await;
                }
            }),
        )
    }
}

/// The right of reply's escalations (`duties.run_scheduler`).
struct DutiesScheduler;

impl Background for DutiesScheduler {
    fn name(&self) -> &'static str {
        "duties scheduler"
    }

    fn wanted(&self, desk: &Context) -> bool {
        desk.settings.duties.run_scheduler
    }

    fn start(self: Box<Self>, desk: Arc<Context>) -> Running {
        Running::Loop(
            self.name(),
            tokio::spawn(async move { crate::desk::duties::run_scheduler(&desk).await }),
        )
    }
}

/// The scheduled retention purge (`retention.run_purge`).
struct RetentionPurge;

impl Background for RetentionPurge {
    fn name(&self) -> &'static str {
        "retention purge"
    }

    fn wanted(&self, desk: &Context) -> bool {
        desk.settings.retention.run_purge
    }

    fn start(self: Box<Self>, desk: Arc<Context>) -> Running {
        Running::Loop(
            self.name(),
            tokio::spawn(async move {
                crate::desk::retention::run_scheduled(&desk.pool, &desk.settings).await
            }),
        )
    }
}

/// The IMAP poller (`inbound.imap_url`).
struct ImapPoller;

impl Background for ImapPoller {
    fn name(&self) -> &'static str {
        "imap poller"
    }

    fn wanted(&self, desk: &Context) -> bool {
        desk.settings.inbound.imap_url.is_some()
    }

    fn start(self: Box<Self>, desk: Arc<Context>) -> Running {
        Running::Loop(
            self.name(),
            tokio::spawn(async move { crate::desk::inbound::imap::run(&desk).await }),
        )
    }
}
