//! A claimed batch's book-keeping: each outcome is written as soon as it is known, while the
//! next message is already being sent, and the batch's leases are renewed while sends run.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::db::{self, outbox, Pool};

/// What the ledger's keeper needs of the senders: the pool it writes through and the lease's
/// length it renews.
struct Books {
    pool: Pool,
    lease: Duration,
}

/// A job's fate after one attempt.
#[derive(Clone)]
pub enum Outcome {
    Sent(String),
    Failed {
        id: String,
        /// `None`: dead, never tried again.
        retry_in: Option<Duration>,
        reason: String,
    },
}

/// Runs beside one sender for one batch. Writes go one at a time, so a sender holds at most
/// one pooled connection for them: outcomes that come in while a write is under way go
/// together in the next one (never more than a write's time late).
pub struct Ledger {
    outcomes: mpsc::UnboundedSender<Outcome>,
    held_until: watch::Receiver<Instant>,
    task: JoinHandle<()>,
}

impl Ledger {
    /// `claimed_at` is read before the claim was made: the lease the database wrote runs at
    /// least `lease` from then.
    pub fn open(pool: Pool, lease: Duration, owner: String, claimed_at: Instant) -> Ledger {
        let shared = Arc::new(Books { pool, lease });
        let (outcomes, rx) = mpsc::unbounded_channel();
        let (held_tx, held_until) = watch::channel(claimed_at + shared.lease);
        let task = tokio::spawn(keep(shared, owner, rx, held_tx));
        Ledger {
            outcomes,
            held_until,
            task,
        }
    }

    pub fn record(&self, outcome: Outcome) {
        // The keeper only ends once this sender is dropped, so the send cannot fail.
        let _ = self.outcomes.send(outcome);
    }

    /// Whether the lease surely outlasts `span` from now: measured from the moment before the
    /// last successful claim or renewal, as durations only, so no two clocks are compared.
    pub fn lease_covers(&self, span: Duration) -> bool {
        Instant::now() + span < *self.held_until.borrow()
    }

    /// Waits until every outcome given has been written (or given up on).
    pub async fn close(self) {
        drop(self.outcomes);
        let _ = self.task.await;
    }
}

async fn keep(
    shared: Arc<Books>,
    owner: String,
    mut rx: mpsc::UnboundedReceiver<Outcome>,
    held_until: watch::Sender<Instant>,
) {
    let every = shared.lease / 3;
    let mut next_renewal = Instant::now() + every;
    let mut queue: Vec<Outcome> = Vec::new();
    let mut open = true;
    let mut failures = 0u32;
    loop {
        if queue.is_empty() && !open {
            return;
        }
        if Instant::now() >= next_renewal {
            next_renewal = Instant::now() + every;
            renew(&shared, &owner, &held_until).await;
            continue;
        }
        if queue.is_empty() {
            tokio::select! {
                outcome = rx.recv() => match outcome {
                    Some(outcome) => queue.push(outcome),
                    None => open = false,
                },
                _ = tokio::time::sleep_until(next_renewal) => {}
            }
            continue;
        }
        while let Ok(outcome) = rx.try_recv() {
            queue.push(outcome);
        }
        let batch = Arc::new(std::mem::take(&mut queue));
        match write(&shared, &owner, batch.clone()).await {
            Ok(()) => failures = 0,
            Err(db::DbError::Unavailable(e)) if Instant::now() < *held_until.borrow() => {
                // While the lease holds, no other worker can send these again: keep trying.
                failures += 1;
                tracing::warn!(error = %e, attempt = failures, "outbox outcomes not recorded yet; retrying");
                queue = batch.as_ref().clone();
                let pause = Duration::from_millis(50 * u64::from(failures.min(20)));
                tokio::time::sleep(pause.min(Duration::from_secs(1))).await;
            }
            Err(e) => {
                // The jobs keep their lease and are tried again when it runs out: a duplicate at
                // worst, with the same Message-ID, never a loss.
                tracing::error!(error = %e, jobs = batch.len(), "could not record outbox outcomes");
                failures = 0;
            }
        }
    }
}

async fn renew(shared: &Arc<Books>, owner: &str, held_until: &watch::Sender<Instant>) {
    let before = Instant::now();
    let (owner, lease) = (owner.to_owned(), shared.lease);
    match db::run(&shared.pool, move |conn| {
        db::write_relaxed(conn, |conn| outbox::renew(conn, &owner, lease))
    })
    .await
    {
        Ok(_) => {
            let _ = held_until.send(before + shared.lease);
        }
        Err(e) => tracing::warn!(error = %e, "outbox leases not renewed"),
    }
}

async fn write(
    shared: &Books,
    owner: &str,
    outcomes: Arc<Vec<Outcome>>,
) -> Result<(), db::DbError> {
    let owner = owner.to_owned();
    db::run(&shared.pool, move |conn| {
        // The deliveries in one statement, the failures each with its own retry time, in one
        // commit that does not wait for its WAL flush (see `db::write_relaxed`).
        let sent: Vec<&str> = outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::Sent(id) => Some(id.as_str()),
                Outcome::Failed { .. } => None,
            })
            .collect();
        db::write_relaxed(conn, |conn| {
            if !sent.is_empty() {
                outbox::mark_all_sent(conn, &owner, &sent)?;
            }
            for outcome in outcomes.iter() {
                if let Outcome::Failed {
                    id,
                    retry_in,
                    reason,
                } = outcome
                {
                    outbox::mark_failed(conn, &owner, id, *retry_in, reason)?;
                }
            }
            Ok(())
        })
    })
    .await
}
