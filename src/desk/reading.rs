//! Opening a submission: the whole record, the same reader's other submissions on the
//! caller's desks, and the caller's read marker moved to now (the unread markers' other half).

use super::triage::{row, Record, TriageError};
use super::views::ReaderSubmission;
use super::{Caller, Context};
use crate::db;

/// How many of the reader's other submissions the page lists.
const HISTORY: i64 = 50;

/// The submission as the caller opens it (the console's page, the API's `GET`): marks it
/// read for the caller, in one upsert, then reads it with the reader's history.
pub async fn open(state: &Context, who: &Caller, key: &str) -> Result<Record, TriageError> {
    let current = row(state, who, key).await?;
    let user = who.id.clone();
    let desks = who.desks();
    let (record, history) = db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn| {
            db::activity::seen(conn, &user, &current.id, db::now())
        })
        .map_err(db::DbError::parent_gone)?;
        let folded = current.email.to_ascii_lowercase();
        let history = db::submissions::of_reader(conn, &folded, &desks, &current.id, HISTORY)?;
        Ok((db::triage::record(conn, current)?, history))
    })
    .await?;
    let mut record = Record::from(record);
    record.reader_history = history.into_iter().map(ReaderSubmission::from).collect();
    Ok(record)
}
