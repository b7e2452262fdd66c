//! Staff work on the queues: what each role may see, and every change, checked and audited.

use crate::domain::EventKind;
use serde_json::json;

use crate::db;
use crate::db::submissions::SubmissionRow;
use crate::db::triage::{self as store, SubmissionChanges};
pub use crate::desk::views::{Record, Submission, SubmissionSummary};
use crate::desk::Caller;
pub use crate::domain::listing::{AssigneeFilter, ListFilter, Sort, View};

use crate::config::Settings;
pub use crate::desk::acts::TriageError;
use crate::desk::acts::{event, single};
use crate::desk::outgoing::{About, Composer};
use crate::desk::Context;
use crate::domain::{MailPurpose, Msg, Priority, QueueName, Status};
use crate::mail::Facts;

/// The queues the caller may see, in configuration order.
pub fn visible_queues(state: &Context, who: &Caller) -> Vec<String> {
    state
        .settings
        .queues
        .iter()
        .filter(|(_, q)| who.sees(q.desk))
        .map(|(name, _)| name.clone())
        .collect()
}

/// One page of the submissions on the caller's desks.
/// The caller's desks are set here, whatever `filter.desks` says: visibility is never the
/// asker's to choose.
pub async fn list(
    state: &Context,
    who: &Caller,
    mut filter: ListFilter,
) -> Result<Vec<SubmissionSummary>, TriageError> {
    filter.desks = who.desks();
    filter.viewer = who.id.clone();
    // A text search may scan the whole table: it takes the heavy reads' lane.
    let rows = if filter.q.as_deref().is_some_and(|q| !q.trim().is_empty()) {
        state
            .heavy_reads
            .run(move |conn| store::list(conn, &filter))
            .await?
    } else {
        db::run(&state.pool, move |conn| store::list(conn, &filter)).await?
    };
    Ok(rows
        .into_iter()
        .map(|(row, seen)| SubmissionSummary::new(row, seen))
        .collect())
}

/// A submission the caller may see, by id or reference; any other answers "not found", exactly
/// as a missing one does (the desk is a predicate of the lookup itself).
pub async fn get(state: &Context, who: &Caller, key: &str) -> Result<Submission, TriageError> {
    Ok(row(state, who, key).await?.into())
}

/// The same, as stored: for the use cases that go on to change it.
pub(crate) async fn row(
    state: &Context,
    who: &Caller,
    key: &str,
) -> Result<SubmissionRow, TriageError> {
    let key = key.to_owned();
    let desks = who.desks();
    db::run(&state.pool, move |conn| store::find(conn, &key, &desks))
        .await?
        .ok_or(TriageError::NotFound)
}

pub async fn record(state: &Context, who: &Caller, key: &str) -> Result<Record, TriageError> {
    let row = row(state, who, key).await?;
    Ok(db::run(&state.pool, move |conn| store::record(conn, row))
        .await?
        .into())
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
    who: &Caller,
    key: &str,
    patch: Patch,
    expected: Expected,
) -> Result<Submission, TriageError> {
    let key = key.to_owned();
    let who = who.clone();
    let settings = state.settings.clone();
    let outgoing = state.outgoing.clone();
    let (row, wrote_mail) = db::run(&state.pool, move |conn| {
        Ok(db::transaction(conn, |conn| {
            apply(conn, &settings, &outgoing, &who, &key, patch, expected)
        }))
    })
    .await??;
    if wrote_mail {
        state.outbox_wakeup.notify_one();
    }
    Ok(row.into())
}

/// A change being planned inside its transaction: the row as read, the columns to write, and
/// what goes with them (audit events, e-mails).
struct Plan<'a> {
    current: SubmissionRow,
    who: &'a Caller,
    now: chrono::NaiveDateTime,
    changes: SubmissionChanges,
    audit: Vec<crate::db::events::NewEvent>,
    mails: Vec<crate::db::outbox::NewOutboxRow>,
}

impl Plan<'_> {
    /// A field changed from one value to another, audited.
    fn changed(&mut self, field: &str, from: serde_json::Value, to: serde_json::Value) {
        self.audit.push(event(
            &self.current.id,
            self.who,
            EventKind::Changed,
            json!({"field": field, "from": from, "to": to}),
            self.now,
        ));
    }

    /// A move of status, checked against the workflow. Released from quarantine, the team
    /// hears of the submission now, once.
    fn status(
        &mut self,
        conn: &mut db::DbConnection,
        outgoing: &Composer,
        to: Status,
    ) -> Result<(), TriageError> {
        let from = self.current.status;
        if !from.can_move_to(to) {
            return Err(TriageError::IllegalTransition { from, to });
        }
        self.changes.status = Some(to);
        self.changes.resolved_at = Some((to == Status::Resolved).then_some(self.now));
        self.changed("status", json!(from), json!(to));
        let current = &self.current;
        if from == Status::Spam
            && to == Status::Open
            && current.spam_reason.is_some()
            && !store::has_mail(conn, &current.id, MailPurpose::TeamNotification)?
        {
            // Released: no longer held, whatever the row read before this change says.
            let about = About {
                held: false,
                ..About::from(current)
            };
            let notice = outgoing
                .tell_team(about, &Facts::from(current), self.now)
                .map_err(|e| TriageError::Internal(e.to_string()))?;
            self.mails.extend(notice);
        }
        Ok(())
    }

    /// A move to another queue: a submission stays on its own desk, whoever moves it (a tip
    /// never lands in a queue configured for sales); an unknown queue is as good as a
    /// forbidden one.
    fn queue(&mut self, settings: &Settings, to: QueueName) -> Result<(), TriageError> {
        let fits = settings
            .queues
            .get(to.as_str())
            .is_some_and(|q| q.desk == self.current.desk && self.who.sees(q.desk));
        if !fits {
            return Err(TriageError::Forbidden);
        }
        self.changed(
            "queue",
            json!(self.current.queue.as_str()),
            json!(to.as_str()),
        );
        self.changes.queue = Some(to);
        Ok(())
    }

    /// A new assignee (or none): only an account that may be told of the submission.
    fn assignee(
        &mut self,
        conn: &mut db::DbConnection,
        to: Option<String>,
    ) -> Result<(), TriageError> {
        if let Some(user) = &to {
            let may = store::active_role(conn, user)?
                .is_some_and(|r| crate::domain::may_hear_of(r, true, self.current.desk));
            if !may {
                return Err(single(
                    "assignee",
                    crate::domain::FieldError::new(Msg::AssigneeNotAllowed),
                ));
            }
        }
        self.changed("assignee", json!(self.current.assignee_id), json!(to));
        self.changes.assignee_id = Some(to);
        Ok(())
    }

    fn legal_hold(&mut self, to: bool) {
        self.changes.legal_hold = Some(to);
        let detail = json!({"field": "legal_hold", "from": self.current.legal_hold, "to": to});
        self.audit.push(event(
            &self.current.id,
            self.who,
            EventKind::LegalHold,
            detail,
            self.now,
        ));
    }
}

/// The version the client saw, checked against the row as read.
fn check_version(current: &SubmissionRow, expected: Expected) -> Result<(), TriageError> {
    match expected {
        Expected::IfMatch(v) if v != current.version => Err(TriageError::Stale),
        Expected::Field(v) if v != current.version => Err(TriageError::VersionConflict {
            current: current.version,
        }),
        _ => Ok(()),
    }
}

/// The body of `patch`, inside its transaction. Returns the row as it now is, and whether an
/// e-mail was written.
fn apply(
    conn: &mut db::DbConnection,
    settings: &Settings,
    outgoing: &Composer,
    who: &Caller,
    key: &str,
    patch: Patch,
    expected: Expected,
) -> Result<(SubmissionRow, bool), TriageError> {
    let current = store::find(conn, key, &who.desks())?.ok_or(TriageError::NotFound)?;
    check_version(&current, expected)?;
    let now = db::now();
    let mut plan = Plan {
        changes: SubmissionChanges {
            updated_at: Some(now),
            ..SubmissionChanges::default()
        },
        current,
        who,
        now,
        audit: Vec::new(),
        mails: Vec::new(),
    };
    if let Some(to) = patch.status.filter(|to| *to != plan.current.status) {
        plan.status(conn, outgoing, to)?;
    }
    if let Some(to) = patch.priority.filter(|to| *to != plan.current.priority) {
        plan.changes.priority = Some(to);
        plan.changed("priority", json!(plan.current.priority), json!(to));
    }
    if let Some(to) = patch.queue.filter(|to| *to != plan.current.queue) {
        plan.queue(settings, to)?;
    }
    if let Some(to) = patch.assignee.filter(|to| *to != plan.current.assignee_id) {
        plan.assignee(conn, to)?;
    }
    if let Some(to) = patch.legal_hold.filter(|to| *to != plan.current.legal_hold) {
        plan.legal_hold(to);
    }
    // The outcome's e-mail threads under the reader's acknowledgement.
    let parent = match patch.duties.outcome {
        Some(_) => crate::db::messages::acknowledgement_id(conn, &plan.current.id)?,
        None => None,
    };
    let Plan {
        current,
        mut changes,
        mut audit,
        mut mails,
        ..
    } = plan;
    let closing = crate::desk::closing::plan(
        outgoing,
        who,
        &current,
        patch.status,
        patch.duties,
        &mut changes,
        parent,
        now,
    )?;
    audit.extend(closing.audit);
    mails.extend(closing.mails);
    if audit.is_empty() {
        return Ok((current, false));
    }
    let wrote_mail = !mails.is_empty();
    // A move or a hand to someone is activity on the triage list (a priority is not).
    if changes.status.is_some() || changes.assignee_id.is_some() {
        db::activity::touch(conn, &current.id, db::activity::Actor::Staff(&who.id), now)?;
    }
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

pub async fn queues(state: &Context, who: &Caller) -> Result<Vec<QueueView>, TriageError> {
    let names = visible_queues(state, who);
    let now = db::now();
    let query_names = names.clone();
    let desks = who.desks();
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
