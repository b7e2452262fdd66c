//! Each worker's open connections, counted so that the log says when a worker reaches
//! `http.max_connections` (actix then stops handing it connections, silently).

use std::any::Any;
use std::cell::Cell;
use std::time::{Duration, Instant};

use actix_web::dev::Extensions;

/// A worker at its cap says so at most this often, however often it comes back to it.
const WARN_EVERY: Duration = Duration::from_secs(10);

thread_local! {
    // Each actix worker is one thread and keeps its connections on it, so a thread's count is
    // its worker's.
    static OPEN: Cell<usize> = const { Cell::new(0) };
    static WARNED_AT: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// One open connection: kept in the connection's data, which actix drops when it closes.
struct Open;

impl Drop for Open {
    fn drop(&mut self) {
        OPEN.with(|n| n.set(n.get().saturating_sub(1)));
    }
}

/// The server's `on_connect` hook: counts the connection, and warns when the worker is full.
pub fn counter(max: usize) -> impl Fn(&dyn Any, &mut Extensions) + Send + Sync + 'static {
    move |_, data| {
        let open = OPEN.with(|n| {
            n.set(n.get() + 1);
            n.get()
        });
        data.insert(Open);
        if open < max {
            return;
        }
        let now = Instant::now();
        let due = WARNED_AT.with(|at| {
            let due = at.get().is_none_or(|t| now.duration_since(t) >= WARN_EVERY);
            if due {
                at.set(Some(now));
            }
            due
        });
        if due {
            tracing::warn!(
                max_connections = max,
                "connection cap reached: this worker holds http.max_connections connections; \
                 new ones wait in the listen backlog until one closes"
            );
        }
    }
}
