//! Staff's internal notes on a submission: never e-mailed.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::events::NewEvent;
use super::schema::{events, notes};
use super::{write_tx, DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = notes)]
pub struct NoteRow {
    pub id: String,
    pub submission_id: String,
    pub author_id: String,
    pub body: String,
    pub created_at: NaiveDateTime,
}

/// Keeps a note with its audit event; `NotFound` when the submission was erased or purged since
/// the caller read it.
pub fn add_note(conn: &mut DbConnection, note: &NoteRow, event: &NewEvent) -> Result<(), DbError> {
    write_tx(conn, |conn| {
        diesel::insert_into(notes::table)
            .values(note)
            .execute(conn)?;
        diesel::insert_into(events::table)
            .values(event)
            .execute(conn)?;
        super::activity::touch(
            conn,
            &note.submission_id,
            super::activity::Actor::Staff(&note.author_id),
            note.created_at,
        )
    })
    .map_err(DbError::parent_gone)
}
