//! The audit log: every change to a submission or an account, by whom, when.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::events;

/// An event to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = events)]
pub struct NewEvent {
    pub id: String,
    pub submission_id: Option<String>,
    pub actor: String,
    pub kind: String,
    pub detail: String,
    pub created_at: NaiveDateTime,
}

/// A recorded event, as staff read it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct EventRow {
    pub id: String,
    pub actor: String,
    pub kind: String,
    pub detail: String,
    pub created_at: NaiveDateTime,
}
