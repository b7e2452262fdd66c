//! What every request handler shares (`AppState`). Handlers name it; it names none of them, so
//! the server that routes to them (`startup`) can build it without a loop.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::config::networks::Networks;
use crate::desk::Context;

/// What every request handler shares: the desk (the use cases' context) and what only the web
/// needs.
pub struct AppState {
    pub desk: Arc<Context>,
    /// Set when a stop signal arrives: readiness answers 503 from then on.
    pub shutting_down: Arc<AtomicBool>,
    pub trusted_proxies: Networks,
    /// The OpenAPI document, built for this configuration, and its page for people.
    pub openapi: String,
    pub docs: String,
}

/// Handlers pass `&state` where a use case wants the desk.
impl std::ops::Deref for AppState {
    type Target = Context;

    fn deref(&self) -> &Context {
        &self.desk
    }
}
