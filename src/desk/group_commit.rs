//! Group commit of intake: one writer task takes the submissions waiting to be stored and
//! writes them in one transaction (`db::intake::insert_batch`), then answers each one once that
//! transaction has committed. A submission alone is written at once; the writer waits (at most
//! `max_wait_us`) only for submissions it knows are on their way, and those that arrive while a
//! batch is being written form the next one. On PostgreSQL up to `writers` batches are written
//! at once, so that one batch's round trips and commit overlap the next one's (a lone writer
//! waited idle on each hop to the database and back while the CPU was shared with the outbox
//! worker); SQLite has one writer, so one batch at a time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, Semaphore};

use crate::config::{Backend, GroupCommitSettings};
use crate::db::intake::{insert_batch, insert_one, NewIntake, Stored};
use crate::db::{self, DbError, Pool};
use crate::instruments::Instruments;

/// A submission waiting for its batch, and where its outcome goes.
struct Waiting {
    intake: NewIntake,
    answer: oneshot::Sender<Result<Stored, DbError>>,
}

/// The way to the writer task. Dropping it ends the task once the batch in hand is written.
pub struct IntakeWriter {
    queue: Option<mpsc::Sender<Waiting>>,
    pool: Pool,
    coming: Arc<AtomicUsize>,
}

/// A submission being prepared (rendered) that will soon be handed to the writer: while any
/// exists, the writer may wait for it. Given back when handed over, or dropped.
pub struct OnItsWay {
    coming: Arc<AtomicUsize>,
    counted: bool,
}

impl OnItsWay {
    fn arrived(&mut self) {
        if std::mem::take(&mut self.counted) {
            self.coming.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl Drop for OnItsWay {
    fn drop(&mut self) {
        self.arrived();
    }
}

impl IntakeWriter {
    /// Starts the writer task (on the current runtime), unless group commit is off: then each
    /// submission is written in its own transaction, by its own request.
    pub fn start(
        pool: Pool,
        backend: Backend,
        settings: &GroupCommitSettings,
        instruments: Arc<Instruments>,
    ) -> IntakeWriter {
        let coming = Arc::new(AtomicUsize::new(0));
        let queue = settings.enabled.then(|| {
            let (tx, rx) = mpsc::channel(settings.max_batch.max(1) * 16);
            let writers = match backend {
                Backend::Postgres => settings.writers.max(1),
                Backend::Sqlite => 1,
            };
            let rules = Rules {
                max_batch: settings.max_batch.max(1),
                max_wait: Duration::from_micros(settings.max_wait_us),
                writers,
            };
            tokio::spawn(write_batches(
                pool.clone(),
                rx,
                coming.clone(),
                rules,
                instruments,
            ));
            tx
        });
        IntakeWriter {
            queue,
            pool,
            coming,
        }
    }

    /// No writer task: each submission is written in its own transaction, by its own call (a
    /// command line verb, one piped message).
    pub fn inline(pool: Pool) -> IntakeWriter {
        IntakeWriter {
            queue: None,
            pool,
            coming: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Says a submission is being prepared; hand the token to `store`.
    pub fn on_its_way(&self) -> OnItsWay {
        self.coming.fetch_add(1, Ordering::AcqRel);
        OnItsWay {
            coming: self.coming.clone(),
            counted: true,
        }
    }

    /// Stores one submission with its batch; returns once its transaction has committed (or
    /// failed).
    pub async fn store(&self, intake: NewIntake, way: &mut OnItsWay) -> Result<Stored, DbError> {
        let Some(queue) = &self.queue else {
            way.arrived();
            return db::run(&self.pool, move |conn| insert_one(conn, &intake)).await;
        };
        let (answer, outcome) = oneshot::channel();
        let sent = queue.send(Waiting { intake, answer }).await;
        way.arrived();
        if sent.is_err() {
            return Err(DbError::Task("the intake writer has stopped".into()));
        }
        outcome
            .await
            .map_err(|_| DbError::Task("the intake writer dropped a submission".into()))?
    }
}

#[derive(Clone, Copy)]
struct Rules {
    max_batch: usize,
    max_wait: Duration,
    writers: usize,
}

impl Rules {
    /// Whether a batch of `len` waits on (until its deadline): only for submissions known to be
    /// on their way, so one alone is written at once, and never past `max_batch`.
    fn keep_waiting(&self, len: usize, on_their_way: usize) -> bool {
        len < self.max_batch && on_their_way > 0 && !self.max_wait.is_zero()
    }
}

async fn write_batches(
    pool: Pool,
    mut rx: mpsc::Receiver<Waiting>,
    coming: Arc<AtomicUsize>,
    rules: Rules,
    instruments: Arc<Instruments>,
) {
    let slots = Arc::new(Semaphore::new(rules.writers));
    while let Some(first) = rx.recv().await {
        // While every writer is busy, the submissions coming in wait in the channel: they make
        // the next batch.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            break;
        };
        let deadline = tokio::time::Instant::now() + rules.max_wait;
        let mut batch = vec![first];
        loop {
            while batch.len() < rules.max_batch {
                match rx.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            if !rules.keep_waiting(batch.len(), coming.load(Ordering::Acquire)) {
                break;
            }
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(next)) => batch.push(next),
                Ok(None) | Err(_) => break,
            }
        }
        instruments.intake_batch(batch.len());
        let (pool, instruments) = (pool.clone(), instruments.clone());
        tokio::spawn(async move {
            write(&pool, batch, &instruments).await;
            drop(slot);
        });
    }
    // The batches still being written are answered before the writer ends.
    let all = u32::try_from(rules.writers).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
}

/// Writes one batch and answers each of its submissions.
async fn write(pool: &Pool, batch: Vec<Waiting>, instruments: &Instruments) {
    let (intakes, answers): (Vec<NewIntake>, Vec<_>) =
        batch.into_iter().map(|w| (w.intake, w.answer)).unzip();
    let intakes = Arc::new(intakes);
    let all = intakes.clone();
    let written = db::run(pool, move |conn| insert_batch(conn, &all)).await;
    match written {
        Ok(fates) => {
            for (answer, fate) in answers.into_iter().zip(fates) {
                let _ = answer.send(Ok(fate));
            }
        }
        Err(e) if answers.len() == 1 => {
            if let Some(answer) = answers.into_iter().next() {
                let _ = answer.send(Err(e));
            }
        }
        // The database is away: every submission of the batch is answered so (503).
        Err(e) if is_shared(&e) => {
            for answer in answers {
                let _ = answer.send(Err(share(&e)));
            }
        }
        // Something about one row failed the batch: each is written alone, so it fails alone.
        Err(e) => {
            tracing::warn!(error = %e, submissions = answers.len(), "batch failed; writing each alone");
            instruments.intake_batch_split();
            for (n, answer) in answers.into_iter().enumerate() {
                let intakes = intakes.clone();
                let alone = db::run(pool, move |conn| match intakes.get(n) {
                    Some(intake) => insert_one(conn, intake),
                    None => Err(DbError::NotFound),
                })
                .await;
                let _ = answer.send(alone);
            }
        }
    }
}

/// Errors that say nothing about any one row: the database (or the pool) is not there.
fn is_shared(e: &DbError) -> bool {
    matches!(e, DbError::Unavailable(_) | DbError::Task(_))
}

/// The same error again, for each submission of a batch.
fn share(e: &DbError) -> DbError {
    match e {
        DbError::Unavailable(m) => DbError::Unavailable(m.clone()),
        DbError::Task(m) => DbError::Task(m.clone()),
        DbError::UniqueViolation(m) => DbError::UniqueViolation(m.clone()),
        DbError::ForeignKeyViolation(m) => DbError::ForeignKeyViolation(m.clone()),
        DbError::NotFound => DbError::NotFound,
        DbError::Query(q) => DbError::Task(format!("batch write failed: {q}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_waits_only_for_submissions_on_their_way_and_only_while_it_has_room() {
        let rules = Rules {
            max_batch: 4,
            max_wait: Duration::from_millis(2),
            writers: 1,
        };
        assert!(!rules.keep_waiting(1, 0), "alone: written at once");
        assert!(rules.keep_waiting(1, 1));
        assert!(rules.keep_waiting(3, 5));
        assert!(!rules.keep_waiting(4, 5), "full: written at once");
        let no_wait = Rules {
            max_batch: 4,
            max_wait: Duration::ZERO,
            writers: 1,
        };
        assert!(!no_wait.keep_waiting(1, 3));
    }
}
