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
