//! The use cases: what the desk does, whichever way a request comes in (the JSON API, the
//! console, mail, the command line, a scheduler). Nothing here knows HTTP.

pub mod accounts;
pub mod auth;
pub mod intake;
pub mod limits;
pub mod screening;
pub mod seed;
pub mod triage;

use std::sync::Arc;

use lettre::message::Mailbox;
use tokio::sync::Notify;

use crate::config::Settings;
use crate::db::Pool;
use crate::domain::Router;
use crate::instruments::Instruments;

pub use crate::db::DbError;

/// What the use cases share, whichever way a request comes in: storage, the settings, routing,
/// the sender's address, the outbox worker's wake-up, sign-in, the spam checks and the limits.
pub struct Desk {
    pub pool: Pool,
    pub settings: Arc<Settings>,
    pub router: Router,
    /// `mail.from`, parsed once.
    pub sender: Mailbox,
    /// Notified after each commit that writes e-mail, so the worker sends at once.
    pub outbox_wakeup: Arc<Notify>,
    pub auth: auth::Auth,
    pub instruments: Arc<Instruments>,
    pub screen: screening::Screen,
    pub form_limits: limits::FormLimits,
}
