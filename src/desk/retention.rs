//! Retention (GDPR storage limitation): what the configured periods make due, the purge that
//! turns each due submission into a tombstone, the daily run under leases, and legal holds.
//!
//! The audit trail stays true without personal data: a purged submission's events are kept
//! (kind, actor, time, and the submission's id, which its tombstone carries), with their
//! details reduced to what names no one: ids, statuses, queues, the outcome's kind and grounds.
//! A `purged` event records which rule purged it.

use crate::domain::EventKind;
use chrono::NaiveDateTime;
use serde_json::json;

use crate::config::{Keep, Settings};
use crate::db::events::NewEvent;
use crate::db::retention::{self as store, AuditKept, DueSubmission, Reach, TombstoneRow};
use crate::db::{self, DbError, Pool};
use crate::domain::{Desk, Outcome, Status};

/// Held while a purge runs: one at a time, whatever the instances.
pub const PURGE_LEASE: &str = "retention.purge";
/// Held for `retention.purge_every_hours` by the instance that ran the scheduled purge, so the
/// others skip it until then.
pub const DAILY_LEASE: &str = "retention.daily";
/// The running purge's hold, renewed before each batch.
const PURGE_LEASE_MILLIS: i64 = 10 * 60 * 1000;
/// Submissions purged per transaction.
const BATCH: i64 = 200;
/// How often an instance looks whether the scheduled purge is due.
const CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error(transparent)]
    Db(#[from] DbError),
    /// Another purge holds the lease.
    #[error("a purge is already running in another instance")]
    Busy,
}

/// One rule: a status on a desk (or on one queue) and how long it is kept.
#[derive(Debug, Clone)]
struct Rule {
    desk: Desk,
    status: Status,
    queue: Option<String>,
    /// For a desk's rule: its queues that have their own.
    except: Vec<String>,
    keep: Keep,
    label: String,
}

/// Every rule the settings make, queue overrides included; "forever" makes none.
fn rules(settings: &Settings) -> Vec<Rule> {
    let mut rules = Vec::new();
    for desk in Desk::ALL.iter().copied() {
        for status in Status::ALL.iter().copied() {
            let (of_desk, queues) = settings.retention.rule(desk, status);
            let own: Vec<(String, Keep)> = queues
                .into_iter()
                .filter(|(q, _)| settings.queues.get(q).is_some_and(|c| c.desk == desk))
                .collect();
            if of_desk != Keep::Forever {
                rules.push(Rule {
                    desk,
                    status,
                    queue: None,
                    except: own.iter().map(|(q, _)| q.clone()).collect(),
                    keep: of_desk,
                    label: format!("{} {}: {of_desk}", desk.as_str(), status.as_str()),
                });
            }
            for (queue, keep) in own {
                if keep != Keep::Forever {
                    rules.push(Rule {
                        desk,
                        status,
                        label: format!("queue {queue} {}: {keep}", status.as_str()),
                        queue: Some(queue),
                        except: Vec::new(),
                        keep,
                    });
                }
            }
        }
    }
    rules
}

fn reach(rule: &Rule, cutoff: NaiveDateTime) -> Reach<'_> {
    Reach {
        desk: rule.desk,
        status: rule.status,
        queue: rule.queue.as_deref(),
        except_queues: &rule.except,
        cutoff,
    }
}

/// A submission a purge would take now.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub reference: String,
    pub queue: String,
    pub status: Status,
    /// In its status since.
    pub since: NaiveDateTime,
    /// The rule that makes it due, e.g. `editorial resolved: 24 months`.
    pub rule: String,
}

/// What a purge would do now (`courrier retention run --dry-run`).
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub submissions: Vec<Candidate>,
    pub dead_mail_bodies: i64,
    pub unmatched_inbound: i64,
}

/// What a purge did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub submissions: usize,
    pub dead_mail_bodies: usize,
    pub unmatched_inbound: usize,
}

/// Lists what a purge would take now, changing nothing.
pub async fn plan(pool: &Pool, settings: &Settings) -> Result<Plan, RetentionError> {
    let rules = rules(settings);
    let (bodies, unmatched) = (
        settings.retention.dead_mail_bodies(),
        settings.retention.unmatched_inbound(),
    );
    Ok(db::run(pool, move |conn| {
        let now = db::duties::clock(conn)?;
        let mut plan = Plan::default();
        for rule in &rules {
            let Some(cutoff) = rule.keep.cutoff(now) else {
                continue;
            };
            for due in store::due(conn, &reach(rule, cutoff), None)? {
                plan.submissions.push(Candidate {
                    since: due.since(),
                    reference: due.reference,
                    queue: due.queue.as_str().to_owned(),
                    status: due.status,
                    rule: rule.label.clone(),
                });
            }
        }
        if let Some(cutoff) = bodies.cutoff(now) {
            plan.dead_mail_bodies = store::dead_mail_due(conn, cutoff)?;
        }
        if let Some(cutoff) = unmatched.cutoff(now) {
            plan.unmatched_inbound = store::unmatched_due(conn, cutoff)?;
        }
        Ok(plan)
    })
    .await?)
}

/// Purges now whatever is due, holding the purge's lease (`Busy` if another purge holds it).
pub async fn purge(pool: &Pool, settings: &Settings) -> Result<Purged, RetentionError> {
    let rules = rules(settings);
    let (bodies, unmatched) = (
        settings.retention.dead_mail_bodies(),
        settings.retention.unmatched_inbound(),
    );
    let owner = uuid::Uuid::now_v7().to_string();
    let purged = db::run(pool, move |conn| {
        if !db::leases::take(conn, PURGE_LEASE, &owner, PURGE_LEASE_MILLIS)? {
            return Ok(Err(RetentionError::Busy));
        }
        let result = purge_all(conn, &rules, bodies, unmatched, &owner);
        db::leases::release(conn, PURGE_LEASE, &owner)?;
        // What was purged must not linger in SQLite's write-ahead log either.
        if result.as_ref().is_ok_and(|p| *p != Purged::default()) {
            match db::truncate_wal(conn) {
                Ok(true) => {}
                Ok(false) => tracing::warn!("purge: the write-ahead log is in use, not truncated"),
                Err(e) => {
                    tracing::warn!(error = %e, "purge: truncating the write-ahead log failed")
                }
            }
        }
        Ok(result)
    })
    .await??;
    if purged != Purged::default() {
        tracing::info!(
            submissions = purged.submissions,
            dead_mail_bodies = purged.dead_mail_bodies,
            unmatched_inbound = purged.unmatched_inbound,
            "retention purge"
        );
    }
    Ok(purged)
}

fn purge_all(
    conn: &mut db::DbConnection,
    rules: &[Rule],
    bodies: Keep,
    unmatched: Keep,
    owner: &str,
) -> Result<Purged, RetentionError> {
    let mut purged = Purged::default();
    for rule in rules {
        loop {
            // Still ours? A purge that lost its lease stops rather than run beside another.
            if !db::leases::take(conn, PURGE_LEASE, owner, PURGE_LEASE_MILLIS)? {
                return Err(RetentionError::Busy);
            }
            let now = db::duties::clock(conn)?;
            let Some(cutoff) = rule.keep.cutoff(now) else {
                break;
            };
            let (seen, done) = db::transaction(conn, |conn| -> Result<_, DbError> {
                let due = store::due(conn, &reach(rule, cutoff), Some(BATCH))?;
                let mut done = 0;
                for d in &due {
                    let (tombstone, audit) = remains(d, &rule.label, now);
                    if store::purge(conn, d, &tombstone, &audit)? {
                        done += 1;
                    }
                }
                Ok((due.len(), done))
            })?;
            purged.submissions += done;
            if seen < usize::try_from(BATCH).unwrap_or(usize::MAX) || done == 0 {
                break;
            }
        }
    }
    let now = db::duties::clock(conn)?;
    if let Some(cutoff) = bodies.cutoff(now) {
        purged.dead_mail_bodies = store::strip_dead_mail(conn, cutoff)?;
    }
    if let Some(cutoff) = unmatched.cutoff(now) {
        purged.unmatched_inbound = store::delete_unmatched(conn, cutoff)?;
    }
    Ok(purged)
}

/// The tombstone of a submission and the rewrite of its audit trail.
fn remains(
    d: &DueSubmission,
    rule: &str,
    now: NaiveDateTime,
) -> (TombstoneRow, AuditKept<'static>) {
    let outcome = d
        .outcome
        .as_deref()
        .and_then(|o| serde_json::from_str::<Outcome>(o).ok())
        .map(|o| outcome_without_free_text(&o).to_string());
    let tombstone = TombstoneRow::of(d, outcome.clone(), rule, now);
    let audit = AuditKept {
        kinds: EventKind::KEPT_BY_PURGE,
        outcome_detail: outcome,
        purged: NewEvent::new(
            Some(&d.id),
            "retention",
            EventKind::Purged,
            &json!({"rule": rule, "status": d.status.as_str(), "reference": d.reference}),
            now,
        ),
    };
    (tombstone, audit)
}

/// An outcome as a tombstone keeps it: its kind and what names no one (the grounds of a
/// refusal, when a reply was inserted, whether a correction was public); never a note, a text
/// or a link that could.
pub fn outcome_without_free_text(outcome: &Outcome) -> serde_json::Value {
    match outcome {
        Outcome::Inserted { published_at, .. } => {
            json!({"kind": "inserted", "published_at": published_at})
        }
        Outcome::Refused { grounds, .. } => json!({"kind": "refused", "grounds": grounds}),
        Outcome::Corrected { public, .. } => json!({"kind": "corrected", "public": public}),
    }
}

/// The scheduled purge: runs it unless an instance ran it less than
/// `retention.purge_every_hours` ago. `None` when it was not this instance's turn.
pub async fn scheduled(pool: &Pool, settings: &Settings) -> Result<Option<Purged>, RetentionError> {
    let hours = i64::from(settings.retention.purge_every_hours.max(1));
    let millis = hours * 3600 * 1000;
    // A fresh holder each time, so that this instance too waits out the period.
    let turn = uuid::Uuid::now_v7().to_string();
    let taken = {
        let turn = turn.clone();
        db::run(pool, move |conn| {
            db::leases::take(conn, DAILY_LEASE, &turn, millis)
        })
        .await?
    };
    if !taken {
        return Ok(None);
    }
    match purge(pool, settings).await {
        Ok(purged) => Ok(Some(purged)),
        Err(e) => {
            // Not done: another instance may try at its next look.
            db::run(pool, move |conn| {
                db::leases::release(conn, DAILY_LEASE, &turn)
            })
            .await?;
            Err(e)
        }
    }
}

/// Looks every hour whether the scheduled purge is due, for as long as the task runs.
pub async fn run_scheduled(pool: &Pool, settings: &Settings) {
    let mut ticks = tokio::time::interval(CHECK_EVERY);
    loop {
        ticks.tick().await;
        match scheduled(pool, settings).await {
            Ok(_) | Err(RetentionError::Busy) => {}
            Err(e) => tracing::warn!(error = %e, "retention purge failed; it is tried again later"),
        }
    }
}

/// Whether a submission is on legal hold (`None`: no such submission), for the erasure, which
/// leaves held submissions alone as the purge does.
pub async fn on_legal_hold(pool: &Pool, submission_id: &str) -> Result<Option<bool>, DbError> {
    let id = submission_id.to_owned();
    db::run(pool, move |conn| store::on_legal_hold(conn, &id)).await
}
