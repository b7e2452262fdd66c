//! The inbox's side panel: each visible queue's counts, kept up to five seconds per role so a
//! page view does not cost a full count of the submissions.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::auth::StaffUser;
use super::triage::{self, QueueView, TriageError};
use super::Context;
use crate::domain::Role;

/// How stale the side panel may be.
const FRESH_FOR: Duration = Duration::from_secs(5);

/// The last counts computed for each role (a role's visible queues are the same for everyone
/// holding it).
#[derive(Default)]
pub struct CountsCache(Mutex<HashMap<Role, (Instant, Vec<QueueView>)>>);

impl CountsCache {
    fn fresh(&self, role: Role) -> Option<Vec<QueueView>> {
        let held = self.0.lock().ok()?;
        held.get(&role)
            .filter(|(at, _)| at.elapsed() < FRESH_FOR)
            .map(|(_, views)| views.clone())
    }

    fn keep(&self, role: Role, views: &[QueueView]) {
        if let Ok(mut held) = self.0.lock() {
            held.insert(role, (Instant::now(), views.to_vec()));
        }
    }
}

/// Each queue the caller may see, with its counts by status and its overdue count, at most
/// five seconds old.
pub async fn queue_counts(state: &Context, who: &StaffUser) -> Result<Vec<QueueView>, TriageError> {
    if let Some(views) = state.queue_counts.fresh(who.role) {
        return Ok(views);
    }
    let views = triage::queues(state, who).await?;
    state.queue_counts.keep(who.role, &views);
    Ok(views)
}

/// The start of each listed submission's message, for rows without a subject. `ids` come from
/// a list the caller was allowed to see.
pub async fn previews(
    state: &Context,
    ids: Vec<String>,
) -> Result<HashMap<String, String>, TriageError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = crate::db::run(&state.pool, move |conn| {
        crate::db::triage::previews(conn, &ids, 120)
    })
    .await?;
    Ok(rows.into_iter().collect())
}

/// Moves each listed submission to spam, or releases it from spam, as far as each may move;
/// returns how many moved. One the caller may not see, or that may not move so, is left.
pub async fn bulk_move(
    state: &Context,
    who: &StaffUser,
    ids: &[String],
    to_spam: bool,
) -> Result<usize, TriageError> {
    use crate::domain::Status;
    let mut moved = 0;
    for id in ids {
        let current = match triage::get(state, who, id).await {
            Ok(row) => row,
            Err(TriageError::NotFound) => continue,
            Err(e) => return Err(e),
        };
        let fits = if to_spam {
            current.status != Status::Spam
        } else {
            current.status == Status::Spam
        };
        if !fits {
            continue;
        }
        let to = if to_spam { Status::Spam } else { Status::Open };
        let patch = triage::Patch {
            status: Some(to),
            ..triage::Patch::default()
        };
        match triage::patch(
            state,
            who,
            id,
            patch,
            triage::Expected::Field(current.version),
        )
        .await
        {
            Ok(_) => moved += 1,
            // Changed meanwhile, or no longer allowed: left as it is.
            Err(TriageError::VersionConflict { .. } | TriageError::IllegalTransition { .. }) => {}
            Err(TriageError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(moved)
}
