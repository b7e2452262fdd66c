//! Staff work on the queues: what each role may see, and every change, checked and audited.

use chrono::NaiveDateTime;
use serde_json::json;

use crate::db;
pub use crate::db::events::EventRow;
use crate::db::events::NewEvent;
pub use crate::db::submissions::SubmissionRow;
use crate::db::triage::{self as store, SubmissionChanges};
pub use crate::db::triage::{
    AssigneeFilter, Delivery, ListFilter, Record, Sort, SubmissionSummary,
};
use crate::desk::auth::StaffUser;
use lettre::message::Mailbox;

use crate::config::Settings;
use crate::desk::{Context, DbError};
use crate::domain::{Desk, MailPurpose, Msg, Priority, QueueName, Role, Status};

/// Why a staff action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum TriageError {
    /// Missing, or on a desk the caller may not see: the same answer for both.
    #[error("submission not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error("invalid fields")]
    Invalid(crate::domain::FieldErrors),
    /// The `If-Match` version is not the current one.
    #[error("stale If-Match")]
    Stale,
    /// The `version` field is not the current one.
    #[error("version conflict: now {current}")]
    VersionConflict { current: i32 },
    #[error("no move from {} to {}", from.as_str(), to.as_str())]
    IllegalTransition { from: Status, to: Status },
    #[error(transparent)]
    Db(#[from] DbError),
    /// A right of reply resolved without its outcome.
    #[error("outcome required")]
    OutcomeRequired,
    #[error("{0}")]
    Internal(String),
}

/// The desks a role may see.
pub fn visible_desks(role: Role) -> Vec<Desk> {
    Desk::ALL
        .iter()
        .copied()
        .filter(|d| role.sees(*d))
        .collect()
}

/// The queues a role may see, in configuration order.
pub fn visible_queues(state: &Context, role: Role) -> Vec<String> {
    state
        .settings
        .queues
        .iter()
        .filter(|(_, q)| role.sees(q.desk))
        .map(|(name, _)| name.clone())
        .collect()
}

pub(super) fn event(
    submission_id: &str,
    actor: &StaffUser,
    kind: &str,
    detail: serde_json::Value,
    now: NaiveDateTime,
) -> NewEvent {
    NewEvent::new(Some(submission_id), &actor.id, kind, &detail, now)
}

/// One page of the submissions on the caller's desks.
/// The caller's desks are set here, whatever `filter.desks` says: visibility is never the
/// asker's to choose.
pub async fn list(
    state: &Context,
    who: &StaffUser,
    mut filter: ListFilter,
) -> Result<Vec<SubmissionSummary>, TriageError> {
    filter.desks = visible_desks(who.role);
    // A text search may scan the whole table: it takes the heavy reads' lane.
    if filter.q.as_deref().is_some_and(|q| !q.trim().is_empty()) {
        return Ok(state
            .heavy_reads
            .run(move |conn| store::list(conn, &filter))
            .await?);
    }
    Ok(db::run(&state.pool, move |conn| store::list(conn, &filter)).await?)
}

/// A submission the caller may see, by id or reference; any other answers "not found", exactly
/// as a missing one does (the desk is a predicate of the lookup itself).
pub async fn get(
    state: &Context,
    who: &StaffUser,
    key: &str,
) -> Result<SubmissionRow, TriageError> {
    let key = key.to_owned();
    let desks = visible_desks(who.role);
    db::run(&state.pool, move |conn| store::find(conn, &key, &desks))
        .await?
        .ok_or(TriageError::NotFound)
}

pub async fn record(state: &Context, who: &StaffUser, key: &str) -> Result<Record, TriageError> {
    let row = get(state, who, key).await?;
    Ok(db::run(&state.pool, move |conn| store::record(conn, row)).await?)
}

/// A change asked for through `PATCH`.
#[derive(Debug, Default)]
pub struct Patch {
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    pub queue: Option<QueueName>,
    /// `Some(None)` unassigns.
    pub assignee: Option<Option<String>>,
    /// The publication date and the outcome of a right of reply or correction.
    pub duties: crate::desk::closing::DutyPatch,
    /// Puts the submission on legal hold (or lifts it): the retention purge and the erasure
    /// leave a held submission alone.
    pub legal_hold: Option<bool>,
}

/// Which version the client saw: from `If-Match` (412 when stale) or a `version` field (409).
#[derive(Debug, Clone, Copy)]
pub enum Expected {
    IfMatch(i32),
    Field(i32),
    Any,
}

/// Applies a change in one transaction: the submission is read, every rule checked and the
/// change written with its audit events (and, on release from quarantine, the team's
/// notification), or nothing is.
pub async fn patch(
    state: &Context,
    who: &StaffUser,
    key: &str,
    patch: Patch,
    expected: Expected,
) -> Result<SubmissionRow, TriageError> {
    let key = key.to_owned();
    let who = who.clone();
    let settings = state.settings.clone();
    let sender = state.sender.clone();
    let (row, wrote_mail) = db::run(&state.pool, move |conn| {
        Ok(db::transaction(conn, |conn| {
            apply(conn, &settings, &sender, &who, &key, patch, expected)
        }))
    })
    .await??;
    if wrote_mail {
        state.outbox_wakeup.notify_one();
    }
    Ok(row)
}

/// The body of `patch`, inside its transaction. Returns the row as it now is, and whether an
/// e-mail was written.
fn apply(
    conn: &mut db::DbConnection,
    settings: &Settings,
    sender: &Mailbox,
    who: &StaffUser,
    key: &str,
    patch: Patch,
    expected: Expected,
) -> Result<(SubmissionRow, bool), TriageError> {
    let current = store::find(conn, key, &visible_desks(who.role))?.ok_or(TriageError::NotFound)?;
    match expected {
        Expected::IfMatch(v) if v != current.version => return Err(TriageError::Stale),
        Expected::Field(v) if v != current.version => {
            return Err(TriageError::VersionConflict {
                current: current.version,
            })
        }
        _ => {}
    }
    let now = db::now();
    let mut changes = SubmissionChanges {
        updated_at: Some(now),
        ..SubmissionChanges::default()
    };
    let mut audit = Vec::new();
    let mut changed = |field: &str, from: serde_json::Value, to: serde_json::Value| {
        audit.push(event(
            &current.id,
            who,
            "changed",
            json!({"field": field, "from": from, "to": to}),
            now,
        ));
    };
    let mut mails = Vec::new();
    if let Some(to) = patch.status.filter(|to| *to != current.status) {
        let from = current.status;
        if !from.can_move_to(to) {
            return Err(TriageError::IllegalTransition { from, to });
        }
        changes.status = Some(to);
        changes.resolved_at = Some((to == Status::Resolved).then_some(now));
        changed("status", json!(from), json!(to));
        // Released from quarantine: the team hears of it now, once.
        if from == Status::Spam
            && to == Status::Open
            && current.spam_reason.is_some()
            && !store::has_mail(conn, &current.id, MailPurpose::TeamNotification)?
        {
            mails.push(
                crate::desk::intake::team_notification_for(settings, sender, &current, now)
                    .map_err(|e| TriageError::Internal(e.to_string()))?,
            );
        }
    }
    if let Some(to) = patch.priority.filter(|to| *to != current.priority) {
        changes.priority = Some(to);
        changed("priority", json!(current.priority), json!(to));
    }
    if let Some(to) = patch.queue.filter(|to| *to != current.queue) {
        // A submission stays on its own desk, whoever moves it: a tip never lands in a queue
        // configured for sales. An unknown queue is as good as a forbidden one.
        let fits = settings
            .queues
            .get(to.as_str())
            .is_some_and(|q| q.desk == current.desk && who.role.sees(q.desk));
        if !fits {
            return Err(TriageError::Forbidden);
        }
        changed("queue", json!(current.queue.as_str()), json!(to.as_str()));
        changes.queue = Some(to);
    }
    let assignee_sees = |conn: &mut db::DbConnection, user: &str| -> Result<bool, TriageError> {
        Ok(store::active_role(conn, user)?.is_some_and(|r| r.sees(current.desk)))
    };
    if let Some(to) = patch.assignee.filter(|to| *to != current.assignee_id) {
        if let Some(user) = &to {
            if !assignee_sees(conn, user)? {
                return Err(single(
                    "assignee",
                    crate::domain::FieldError::new(Msg::AssigneeNotAllowed),
                ));
            }
        }
        changed("assignee", json!(current.assignee_id), json!(to));
        changes.assignee_id = Some(to);
    }
    if let Some(to) = patch.legal_hold.filter(|to| *to != current.legal_hold) {
        changes.legal_hold = Some(to);
        audit.push(event(
            &current.id,
            who,
            "legal_hold",
            json!({"field": "legal_hold", "from": current.legal_hold, "to": to}),
            now,
        ));
    }
    let closing = crate::desk::closing::plan(
        settings,
        sender,
        who,
        &current,
        patch.status,
        patch.duties,
        &mut changes,
        now,
    )?;
    audit.extend(closing.audit);
    mails.extend(closing.mails);
    if audit.is_empty() {
        return Ok((current, false));
    }
    let wrote_mail = !mails.is_empty();
    match store::update(conn, &current.id, current.version, &changes, &audit, &mails)? {
        Some(row) => {
            if let Some(correction) = &closing.correction {
                crate::db::corrections::insert(conn, correction)?;
            }
            Ok((row, wrote_mail))
        }
        // The version was read in this transaction; only a concurrent writer on PostgreSQL
        // can get here.
        None => Err(match expected {
            Expected::IfMatch(_) => TriageError::Stale,
            _ => TriageError::VersionConflict {
                current: current.version + 1,
            },
        }),
    }
}

/// Per visible queue: counts by status and the overdue count.
#[derive(Debug, Clone)]
pub struct QueueView {
    pub name: String,
    pub label: String,
    pub desk: &'static str,
    pub counts: Vec<(String, i64)>,
    pub overdue: i64,
}

pub async fn queues(state: &Context, who: &StaffUser) -> Result<Vec<QueueView>, TriageError> {
    let names = visible_queues(state, who.role);
    let now = db::now();
    let query_names = names.clone();
    let desks = visible_desks(who.role);
    let counts = db::run(&state.pool, move |conn| {
        store::queue_counts(conn, &query_names, &desks, now)
    })
    .await?;
    Ok(names
        .into_iter()
        .filter_map(|name| {
            let q = state.settings.queues.get(&name)?;
            let by_status = Status::ALL
                .iter()
                .map(|s| {
                    let n = counts
                        .by_status
                        .iter()
                        .find(|(queue, status, _)| *queue == name && status == s.as_str())
                        .map_or(0, |(_, _, n)| *n);
                    (s.as_str().to_owned(), n)
                })
                .collect();
            let overdue = counts
                .overdue
                .iter()
                .find(|(queue, _)| *queue == name)
                .map_or(0, |(_, n)| *n);
            Some(QueueView {
                label: q.label.clone(),
                desk: q.desk.as_str(),
                name,
                counts: by_status,
                overdue,
            })
        })
        .collect())
}

/// One field's error, as a use case's validation failure.
pub(super) fn single(field: &'static str, e: crate::domain::FieldError) -> TriageError {
    let mut fields = crate::domain::FieldErrors::new();
    fields.insert(field, vec![e]);
    TriageError::Invalid(fields)
}
