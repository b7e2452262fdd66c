//! The outbox worker: senders that claim due jobs under a lease, hand them to the transport and
//! record each outcome as it comes. Safe to run in every instance at once.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;

use super::ledger::{Ledger, Outcome};
use super::{build_message, Channel, Transport};
use std::collections::HashMap;

use lettre::message::{Mailbox, Mailboxes};

use crate::config::MailSettings;
use crate::db::{self, outbox, Pool};
use crate::domain::{may_hear_of, MailPurpose, Role};
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
    /// Each queue's team addresses: where a notice goes whose staff recipients may no longer
    /// be told of its submission.
    teams: Teams,
}

/// Each queue's team addresses (`queues.<name>.notify`), by queue name.
pub type Teams = std::collections::BTreeMap<String, Vec<String>>;

/// The teams of these settings.
pub fn teams(settings: &crate::config::Settings) -> Teams {
    settings
        .queues
        .iter()
        .map(|(name, q)| (name.clone(), q.notify.clone()))
        .collect()
}

impl Shared {
    /// The longest one send can take: a connection timeout, a send timeout and 2 s to hang up.
    fn worst_send(&self) -> Duration {
        self.smtp_timeout * 2 + Duration::from_secs(2)
    }
}

pub struct Worker;

/// Stops the senders: each finishes the message in hand, records what it sent, gives back the
/// rest of its batch and exits.
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

impl Worker {
    /// Starts `settings.concurrency` senders; `wakeup` is notified after each committed job.
    pub fn start(
        pool: Pool,
        transport: Transport,
        settings: &MailSettings,
        teams: Teams,
        wakeup: Arc<Notify>,
        instruments: Arc<Instruments>,
    ) -> WorkerHandle {
        let shared = Arc::new(Shared::new(
            pool,
            transport,
            settings,
            teams,
            wakeup,
            instruments,
        ));
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

    /// Sends every job due now, in this task, and returns how many were tried: what a test or
    /// a one-off command does instead of waiting for the background senders.
    pub async fn dispatch_all_pending(
        pool: Pool,
        transport: Transport,
        settings: &MailSettings,
        teams: Teams,
        instruments: Arc<Instruments>,
    ) -> usize {
        let shared = Arc::new(Shared::new(
            pool,
            transport,
            settings,
            teams,
            Arc::new(Notify::new()),
            instruments,
        ));
        let owner = format!("{}-once", shared.instance);
        let mut channel = Channel::new(shared.transport.clone(), shared.smtp_timeout);
        let (_stop, stopped) = watch::channel(false);
        let mut tried = 0;
        loop {
            let claimed_at = tokio::time::Instant::now();
            let jobs = claim(&shared, &owner).await;
            if jobs.is_empty() {
                break;
            }
            tried += jobs.len();
            send_batch(&shared, &owner, &mut channel, jobs, claimed_at, &stopped).await;
        }
        channel.close().await;
        tried
    }
}

impl Shared {
    fn new(
        pool: Pool,
        transport: Transport,
        settings: &MailSettings,
        teams: Teams,
        wakeup: Arc<Notify>,
        instruments: Arc<Instruments>,
    ) -> Shared {
        Shared {
            teams,
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
        let claimed_at = tokio::time::Instant::now();
        let jobs = claim(&shared, &owner).await;
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
        send_batch(&shared, &owner, &mut channel, jobs, claimed_at, &stopped).await;
    }
    channel.close().await;
}

/// Leases a batch of due jobs to `owner`; none when the claim fails (logged; the next round
/// tries again).
async fn claim(shared: &Shared, owner: &str) -> Vec<outbox::OutboxJob> {
    let owner = owner.to_owned();
    let (batch, lease) = (shared.batch_size, shared.lease);
    match db::run(&shared.pool, move |conn| {
        outbox::claim(conn, &owner, lease, batch)
    })
    .await
    {
        Ok(jobs) => jobs,
        Err(e) => {
            tracing::warn!(error = %e, "outbox claim failed");
            Vec::new()
        }
    }
}

/// Sends one claimed batch, each outcome handed to the ledger as soon as it is known.
async fn send_batch(
    shared: &Arc<Shared>,
    owner: &str,
    channel: &mut Channel,
    jobs: Vec<outbox::OutboxJob>,
    claimed_at: tokio::time::Instant,
    stopped: &watch::Receiver<bool>,
) {
    let (jobs, mut untried) = screen(shared, jobs).await;
    let ledger = Ledger::open(
        shared.pool.clone(),
        shared.lease,
        owner.to_owned(),
        claimed_at,
    );
    let mut jobs = jobs.into_iter();
    for job in jobs.by_ref() {
        // On a stop, or when the lease might run out during this send (its renewals failing),
        // the rest goes back untried.
        if *stopped.borrow() || !ledger.lease_covers(shared.worst_send()) {
            untried.push(job.id);
            break;
        }
        ledger.record(attempt(shared, channel, job).await);
    }
    untried.extend(jobs.map(|job| job.id));
    ledger.close().await;
    if untried.is_empty() {
        return;
    }
    let owner = owner.to_owned();
    let released = db::run(&shared.pool, move |conn| {
        db::write(conn, |conn| outbox::release(conn, &owner, &untried))
    })
    .await;
    if let Err(e) = released {
        tracing::warn!(error = %e, "could not give back outbox leases; they expire on their own");
    }
}

/// The rule of who may be told of a submission (`domain::may_hear_of`), applied again as staff
/// e-mails leave: an account disabled, or moved to a role that no longer sees the submission's
/// desk, since the e-mail was written is taken off it, and a notice left with nobody goes to
/// its queue's team. Addresses that are no account (a team's list, the publication director)
/// stay. When the rule cannot be read, the batch's staff e-mails are given back untried.
async fn screen(
    shared: &Shared,
    mut jobs: Vec<outbox::OutboxJob>,
) -> (Vec<outbox::OutboxJob>, Vec<String>) {
    // About a submission and to staff: an invitation, about none, goes to its account alone.
    let to_staff = |j: &outbox::OutboxJob| {
        j.submission_id.is_some() && !MailPurpose::TO_READER.contains(&j.purpose)
    };
    let ids: Vec<String> = jobs
        .iter()
        .filter(|j| to_staff(j))
        .filter_map(|j| j.submission_id.clone())
        .collect();
    if ids.is_empty() {
        return (jobs, Vec::new());
    }
    let (places, accounts) = match db::run(&shared.pool, move |c| outbox::audience(c, &ids)).await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, "staff e-mails held back: their recipients cannot be checked");
            let (held, rest): (Vec<_>, Vec<_>) = jobs.into_iter().partition(|j| to_staff(j));
            return (rest, held.into_iter().map(|j| j.id).collect());
        }
    };
    let accounts: HashMap<String, (Role, bool)> = accounts
        .into_iter()
        .map(|(email, role, active)| (email.to_lowercase(), (role, active)))
        .collect();
    for job in jobs.iter_mut().filter(|j| to_staff(j)) {
        let Some((_, desk, queue)) = places
            .iter()
            .find(|(id, _, _)| Some(id) == job.submission_id.as_ref())
        else {
            continue;
        };
        let Ok(listed) = job.recipients.parse::<Mailboxes>() else {
            continue;
        };
        let listed: Vec<Mailbox> = listed.into_iter().collect();
        // An address that is no account (a team's list, the publication director) stays.
        let may = |m: &Mailbox| {
            accounts
                .get(&m.email.to_string().to_lowercase())
                .is_none_or(|(role, active)| may_hear_of(*role, *active, *desk))
        };
        let kept: Vec<String> = listed
            .iter()
            .filter(|m| may(m))
            .map(Mailbox::to_string)
            .collect();
        if kept.len() == listed.len() {
            continue;
        }
        tracing::info!(job = %job.id, purpose = %job.purpose, "recipient no longer told of the submission");
        job.recipients = if kept.is_empty() {
            // The team's addresses, under the same rule: a team list that names an account
            // barred from the desk does not bring it back.
            let team = shared
                .teams
                .get(queue.as_str())
                .map_or(&[][..], Vec::as_slice);
            team.iter()
                .filter_map(|a| a.parse::<Mailbox>().ok())
                .filter(|m| may(m))
                .map(|m| m.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            kept.join(", ")
        };
    }
    (jobs, Vec::new())
}

/// Hands one job to the transport.
async fn attempt(shared: &Shared, channel: &mut Channel, job: outbox::OutboxJob) -> Outcome {
    let attempt = job.attempts;
    shared.instruments.send_attempt(job.purpose.as_str());
    let result = match build_message(&job) {
        Ok((envelope, raw)) => channel.send(&envelope, &raw).await,
        Err(unbuildable) => Err(super::SendFailure::new(true, &unbuildable.to_string())),
    };
    let failure = match result {
        Ok(()) => return Outcome::Sent(job.id),
        Err(failure) => failure,
    };
    shared
        .instruments
        .send_failure(job.purpose.as_str(), failure.permanent);
    let give_up = failure.permanent || attempt >= shared.max_attempts;
    tracing::warn!(
        job = %job.id,
        purpose = %job.purpose,
        attempt,
        permanent = failure.permanent,
        dead = give_up,
        reason = %failure.reason,
        "e-mail not delivered"
    );
    Outcome::Failed {
        id: job.id,
        retry_in: (!give_up).then(|| backoff(shared, attempt)),
        reason: failure.reason,
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
