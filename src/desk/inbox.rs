//! The inbox's side panel: each visible queue's counts, kept up to five seconds per role so a
//! page view does not cost a full count of the submissions.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::triage::{self, QueueView, TriageError};
use super::Caller;
use super::Context;
use crate::domain::Role;

/// How stale the side panel may be.
const FRESH_FOR: Duration = Duration::from_secs(5);

/// The last counts computed for each role (a role's visible queues are the same for everyone
/// holding it), and whether someone is computing them again.
#[derive(Default)]
pub struct CountsCache(Mutex<HashMap<Role, Held>>);

struct Held {
    at: Instant,
    views: Vec<QueueView>,
    refreshing: bool,
}

/// What a caller does about the side panel.
enum Look {
    /// Use these (fresh, or stale while another caller refreshes them).
    Use(Vec<QueueView>),
    /// Count them: none are held, or they are stale and this caller refreshes them.
    Count,
}

impl CountsCache {
    /// One caller at a time counts again; the others keep the stale counts meanwhile, so the
    /// count's cost falls on one page view every five seconds, not on every view that finds
    /// the counts stale.
    fn look(&self, role: Role) -> Look {
        let Ok(mut held) = self.0.lock() else {
            return Look::Count;
        };
        match held.get_mut(&role) {
            None => Look::Count,
            Some(h) if h.at.elapsed() < FRESH_FOR || h.refreshing => Look::Use(h.views.clone()),
            Some(h) => {
                h.refreshing = true;
                Look::Count
            }
        }
    }

    fn keep(&self, role: Role, views: &[QueueView]) {
        if let Ok(mut held) = self.0.lock() {
            let views = views.to_vec();
            held.insert(
                role,
                Held {
                    at: Instant::now(),
                    views,
                    refreshing: false,
                },
            );
        }
    }

    /// The refresh failed: the next caller tries again.
    fn give_up(&self, role: Role) {
        if let Ok(mut held) = self.0.lock() {
            if let Some(h) = held.get_mut(&role) {
                h.refreshing = false;
            }
        }
    }
}

/// Each queue the caller may see, with its counts by status and its overdue count, at most
/// five seconds old (give or take the one count under way).
pub async fn queue_counts(state: &Context, who: &Caller) -> Result<Vec<QueueView>, TriageError> {
    if let Look::Use(views) = state.queue_counts.look(who.role) {
        return Ok(views);
    }
    match triage::queues(state, who).await {
        Ok(views) => {
            state.queue_counts.keep(who.role, &views);
            Ok(views)
        }
        Err(e) => {
            state.queue_counts.give_up(who.role);
            Err(e)
        }
    }
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
    who: &Caller,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(cache: &CountsCache) -> bool {
        matches!(cache.look(Role::Editor), Look::Count)
    }

    #[test]
    fn one_caller_counts_again_while_the_others_keep_the_stale_counts() {
        let cache = CountsCache::default();
        assert!(counted(&cache), "nothing held: count");
        cache.keep(Role::Editor, &[]);
        assert!(!counted(&cache), "fresh: use them");
        // Five seconds pass.
        cache.0.lock().unwrap().get_mut(&Role::Editor).unwrap().at -= FRESH_FOR;
        assert!(counted(&cache), "stale: the first caller counts");
        assert!(
            !counted(&cache),
            "the next ones use the stale counts meanwhile"
        );
        assert!(!counted(&cache));
        cache.give_up(Role::Editor);
        assert!(
            counted(&cache),
            "after a failed count, the next caller tries"
        );
        cache.keep(Role::Editor, &[]);
        assert!(!counted(&cache), "fresh again");
        assert!(counted(&CountsCache::default()));
    }
}
