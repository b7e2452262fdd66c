//! Staff work on the queues: what each role may see, and every change, checked and audited
//! (the change itself, inside its transaction, is `change.rs`).

use crate::db;
use crate::db::submissions::SubmissionRow;
use crate::db::triage as store;
pub use crate::desk::views::{Record, Submission, SubmissionSummary};
use crate::desk::Caller;
pub use crate::domain::listing::{AssigneeFilter, ListFilter, Sort, View};

pub use crate::desk::acts::TriageError;
use crate::desk::Context;
use crate::domain::Status;

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

pub use crate::desk::change::{Expected, Patch};

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
            crate::desk::change::apply(
                conn, &settings, &outgoing, &who, &key, patch, expected, None,
            )
        }))
    })
    .await??;
    if wrote_mail {
        state.outbox_wakeup.notify_one();
    }
    Ok(row.into())
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
