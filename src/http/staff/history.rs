//! The reader's history in a submission's detail: the same address's other submissions on the
//! caller's desks, as the use case found them.

use serde::Serialize;
use utoipa::ToSchema;

use super::values::Instant;
use crate::desk::triage::Record;
use crate::domain::{Status, Topic};

/// One of the reader's other submissions.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReaderSubmission {
    pub id: String,
    pub reference: String,
    pub subject: Option<String>,
    /// What kind of request it is.
    #[schema(value_type = Topic)]
    pub topic: String,
    #[schema(value_type = Status)]
    pub status: String,
    pub created_at: Instant,
}

pub fn of(r: &Record) -> Vec<ReaderSubmission> {
    r.reader_history
        .iter()
        .map(|h| ReaderSubmission {
            id: h.id.clone(),
            reference: h.reference.clone(),
            subject: h.subject.clone(),
            topic: h.topic.as_str().to_owned(),
            status: h.status.as_str().to_owned(),
            created_at: h.created_at.into(),
        })
        .collect()
}
