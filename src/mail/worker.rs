//! The outbox worker: senders that claim due jobs under a lease, hand them to the transport and
//! record the outcome. Safe to run in every instance at once.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use rand::Rng;
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;

use super::{build_message, Channel, Transport};
use crate::config::MailSettings;
use crate::db::{self, outbox, Pool};
use crate::instruments::Instruments;

/// What every sender shares.
struct Shared {
    pool: Pool,
    transport: Transport,
    wakeup: Arc<Notify>,
    instruments: Arc<Instruments>,
    instance: String,
    batch_size: i64,
    max_attempts: i32,
    retry_base: Duration,
    retry_max: Duration,
    poll_interval: Duration,
    lease: Duration,
    smtp_timeout: Duration,
}

pub struct Worker;

/// Stops the senders: each finishes the batch in hand, gives back its leases and exits.
pub struct WorkerHandle {
    stop: Arc<watch::Sender<bool>>,
    tasks: JoinSet<()>,
}

impl WorkerHandle {
    /// Something that tells the senders to stop, usable while the handle is held elsewhere.
    pub fn stopper(&self) -> impl Fn() + Send + Sync + 'static {
        let stop = self.stop.clone();
        move || {
            let _ = stop.send(true);
        }
    }

    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
    }
}

/// A job's fate after one attempt.
enum Outcome {
    Sent(String),
    Failed {
        id: String,
        next_attempt_at: Option<NaiveDateTime>,
        reason: String,
    },
}

impl Worker {
    /// Starts `settings.concurrency` senders; `wakeup` is notified after each committed job.
    pub fn start(
        pool: Pool,
        transport: Transport,
        settings: &MailSettings,
        wakeup: Arc<Notify>,
        instruments: Arc<Instruments>,
    ) -> WorkerHandle {
        let shared = Arc::new(Shared {
            instruments,
            pool,
            transport,
            wakeup,
            instance: uuid::Uuid::now_v7().simple().to_string(),
            batch_size: i64::from(settings.batch_size),
            max_attempts: settings.max_attempts,
            retry_base: Duration::from_millis(settings.retry_base_ms),
            retry_max: Duration::from_millis(settings.retry_max_ms),
            poll_interval: Duration::from_millis(settings.poll_interval_ms),
            lease: Duration::from_millis(settings.lease_ms),
            smtp_timeout: Duration::from_millis(settings.smtp_timeout_ms),
        });
        let (stop, stopped) = watch::channel(false);
        let mut tasks = JoinSet::new();
        for n in 0..settings.concurrency {
            tasks.spawn(sender(shared.clone(), n, stopped.clone()));
        }
        WorkerHandle {
            stop: Arc::new(stop),
            tasks,
        }
    }
}

async fn sender(shared: Arc<Shared>, n: usize, mut stopped: watch::Receiver<bool>) {
    let owner = format!("{}-{n}", shared.instance);
    let mut channel = Channel::new(shared.transport.clone(), shared.smtp_timeout);
    while !*stopped.borrow() {
        // Registered before the claim, so a job committed meanwhile still wakes us.
        let woken = shared.wakeup.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let claimed = {
            let owner = owner.clone();
            let (batch, lease) = (shared.batch_size, shared.lease);
            db::run(&shared.pool, move |conn| {
                let now = db::now();
                outbox::claim(conn, &owner, now, now + lease, batch)
            })
            .await
        };
        let jobs = match claimed {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::warn!(error = %e, "outbox claim failed");
                Vec::new()
            }
        };
        if jobs.is_empty() {
            // Relays drop idle sessions; hang up first rather than fail the next send.
            channel.close().await;
            tokio::select! {
                _ = &mut woken => {}
                _ = tokio::time::sleep(shared.poll_interval) => {}
                _ = stopped.changed() => {}
            }
            continue;
        }
        let mut outcomes = Vec::with_capacity(jobs.len());
        for job in jobs {
            // On a stop, what is left of the batch goes back untried (see release_all).
            if *stopped.borrow() {
                break;
            }
            let attempt = job.attempts;
            shared.instruments.send_attempt(&job.purpose);
            let result = match build_message(&job) {
                Ok((envelope, raw)) => channel.send(&envelope, &raw).await,
                Err(reason) => Err(super::SendFailure {
                    permanent: true,
                    reason,
                }),
            };
            outcomes.push(match result {
                Ok(()) => Outcome::Sent(job.id),
                Err(failure) => {
                    shared
                        .instruments
                        .send_failure(&job.purpose, failure.permanent);
                    let give_up = failure.permanent || attempt >= shared.max_attempts;
                    tracing::warn!(
                        job = %job.id,
                        purpose = %job.purpose,
                        attempt,
                        permanent = failure.permanent,
                        dead = give_up,
                        reason = %redact_addresses(&failure.reason),
                        "e-mail not delivered"
                    );
                    Outcome::Failed {
                        id: job.id,
                        next_attempt_at: (!give_up).then(|| db::now() + backoff(&shared, attempt)),
                        reason: failure.reason,
                    }
                }
            });
        }
        record(&shared, &owner, outcomes).await;
    }
    channel.close().await;
    let released = {
        let owner = owner.clone();
        db::run(&shared.pool, move |conn| outbox::release_all(conn, &owner)).await
    };
    if let Err(e) = released {
        tracing::warn!(error = %e, "could not release outbox leases; they expire on their own");
    }
}

/// Records outcomes, retrying while the database is briefly unavailable: an outcome lost here
/// means the job is sent again once its lease expires.
async fn record(shared: &Shared, owner: &str, outcomes: Vec<Outcome>) {
    const TRIES: u32 = 5;
    let outcomes = Arc::new(outcomes);
    for attempt in 1..=TRIES {
        match record_once(shared, owner, outcomes.clone()).await {
            Ok(()) => return,
            Err(db::DbError::Unavailable(e)) if attempt < TRIES => {
                tracing::warn!(error = %e, attempt, "outbox outcomes not recorded yet; retrying");
                tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
            }
            Err(e) => {
                // The lease runs out and the jobs are tried again: a duplicate at worst, never
                // a loss.
                tracing::error!(error = %e, "could not record outbox outcomes");
                return;
            }
        }
    }
}

async fn record_once(
    shared: &Shared,
    owner: &str,
    outcomes: Arc<Vec<Outcome>>,
) -> Result<(), db::DbError> {
    let owner = owner.to_owned();
    db::run(&shared.pool, move |conn| {
        db::write_tx(conn, |conn| record_in(conn, &owner, &outcomes))
    })
    .await
}

fn record_in(
    conn: &mut db::DbConnection,
    owner: &str,
    outcomes: &[Outcome],
) -> Result<(), db::DbError> {
    {
        let now = db::now();
        let mut sent = Vec::new();
        for outcome in outcomes.iter() {
            match outcome {
                Outcome::Sent(id) => sent.push(id.clone()),
                Outcome::Failed {
                    id,
                    next_attempt_at,
                    reason,
                } => {
                    outbox::mark_failed(conn, owner, id, *next_attempt_at, reason)?;
                }
            }
        }
        if !sent.is_empty() {
            outbox::mark_sent(conn, owner, &sent, now)?;
        }
        Ok(())
    }
}

/// Exponential backoff with "equal jitter": between half and all of base × 2^(attempt-1),
/// capped.
fn backoff(shared: &Shared, attempt: i32) -> Duration {
    let exp = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    let full = shared
        .retry_base
        .saturating_mul(1u32 << exp)
        .min(shared.retry_max);
    let half = full / 2;
    half + rand::thread_rng().gen_range(Duration::ZERO..=half)
}

/// Relays quote recipients in their replies; logs must not carry readers' addresses.
pub fn redact_addresses(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            if word.contains('@') {
                "<address>"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_redacted_from_relay_replies() {
        assert_eq!(
            redact_addresses("permanent error (550): 5.1.1 <zoe@example.fr>: unknown"),
            "permanent error (550): 5.1.1 <address> unknown"
        );
    }
}
