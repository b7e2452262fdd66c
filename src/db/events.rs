//! The audit log: every change to a submission or an account, by whom, when.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::events;
use crate::domain::EventKind;

/// An event to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = events)]
pub struct NewEvent {
    pub id: String,
    pub submission_id: Option<String>,
    pub actor: String,
    pub kind: EventKind,
    pub detail: String,
    pub created_at: NaiveDateTime,
}

impl NewEvent {
    /// An event of `kind` by `actor`, about a submission or (with `None`) an account.
    pub fn new(
        submission_id: Option<&str>,
        actor: &str,
        kind: EventKind,
        detail: &serde_json::Value,
        at: NaiveDateTime,
    ) -> NewEvent {
        NewEvent {
            id: uuid::Uuid::now_v7().to_string(),
            submission_id: submission_id.map(str::to_owned),
            actor: actor.to_owned(),
            kind,
            detail: detail.to_string(),
            created_at: at,
        }
    }
}

/// A recorded event, as staff read it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct EventRow {
    pub id: String,
    pub actor: String,
    pub kind: EventKind,
    pub detail: String,
    pub created_at: NaiveDateTime,
}
