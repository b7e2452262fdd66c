//! What every staff act on a submission shares, whichever use case it is (triage, closing,
//! the conversation, the hand-over): why it did not happen, its audit event, and a one-field
//! validation failure.

use crate::domain::EventKind;
use chrono::NaiveDateTime;

use crate::db::events::NewEvent;
use crate::desk::{Caller, DbError};
use crate::domain::Status;

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
    /// A reply written before the thread's newest items, not sent: the record holds those
    /// items only (its `replies`), for the author to read.
    #[error("thread changed")]
    ThreadChanged(Box<crate::desk::views::Record>),
    #[error("{0}")]
    Internal(String),
}

impl From<crate::desk::Denied> for TriageError {
    fn from(d: crate::desk::Denied) -> Self {
        match d {
            crate::desk::Denied::Forbidden => TriageError::Forbidden,
            crate::desk::Denied::NotFound => TriageError::NotFound,
        }
    }
}

pub(crate) fn event(
    submission_id: &str,
    actor: &Caller,
    kind: EventKind,
    detail: serde_json::Value,
    now: NaiveDateTime,
) -> NewEvent {
    NewEvent::new(Some(submission_id), &actor.id, kind, &detail, now)
}

/// One field's error, as a use case's validation failure.
pub(crate) fn single(field: &'static str, e: crate::domain::FieldError) -> TriageError {
    let mut fields = crate::domain::FieldErrors::new();
    fields.insert(field, vec![e]);
    TriageError::Invalid(fields)
}
