//! The audit log: every change to a submission or an account, by whom, when.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::events;
use super::{DbConnection, DbError};
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

/// An event with the submission's version its change produced (see `changed_since`).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = events)]
pub struct VersionedEvent {
    #[diesel(embed)]
    pub event: NewEvent,
    pub version: i32,
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

    /// The same event, as the change that made `version`.
    pub fn at_version(&self, version: i32) -> VersionedEvent {
        VersionedEvent {
            event: self.clone(),
            version,
        }
    }
}

/// What changed a submission after a version: the events of each later version, by kind and
/// detail. `None` when some later version has no event saying what it changed (written before
/// versions were recorded, or by a path that does not record them): then nothing is known.
pub fn changed_since(
    conn: &mut DbConnection,
    submission_id: &str,
    seen: i32,
    current: i32,
) -> Result<Option<Vec<(EventKind, String)>>, DbError> {
    let rows: Vec<(EventKind, String, Option<i32>)> = events::table
        .filter(events::submission_id.eq(submission_id))
        .filter(events::version.gt(seen))
        .select((events::kind, events::detail, events::version))
        .load(conn)?;
    let mut versions: Vec<i32> = rows.iter().filter_map(|(_, _, v)| *v).collect();
    versions.sort_unstable();
    versions.dedup();
    let known = (seen + 1..=current).all(|v| versions.binary_search(&v).is_ok());
    Ok(known.then(|| rows.into_iter().map(|(k, d, _)| (k, d)).collect()))
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
