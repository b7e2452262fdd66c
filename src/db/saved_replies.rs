//! Saved replies: texts staff insert into a reply, one desk's and in one language each. Every
//! change is written with its audit event (an `events` row without a submission).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::events::NewEvent;
use super::schema::{events, saved_replies};
use super::{write_tx, DbConnection, DbError};
use crate::domain::{Desk, Locale};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = saved_replies)]
pub struct SavedReplyRow {
    pub id: String,
    pub title: String,
    pub desk: Desk,
    pub locale: Locale,
    /// As written, variables unfilled.
    pub body: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What a change sets; `None` leaves a column as it is.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = saved_replies)]
pub struct SavedReplyChanges {
    pub title: Option<String>,
    pub desk: Option<Desk>,
    pub locale: Option<Locale>,
    pub body: Option<String>,
    pub updated_at: Option<NaiveDateTime>,
}

/// The saved replies of `desks`, by desk, language and title.
pub fn list(conn: &mut DbConnection, desks: &[Desk]) -> Result<Vec<SavedReplyRow>, DbError> {
    Ok(saved_replies::table
        .filter(saved_replies::desk.eq_any(desks))
        .order((
            saved_replies::desk.asc(),
            saved_replies::locale.asc(),
            saved_replies::title.asc(),
            saved_replies::id.asc(),
        ))
        .select(SavedReplyRow::as_select())
        .load(conn)?)
}

pub fn by_id(conn: &mut DbConnection, id: &str) -> Result<Option<SavedReplyRow>, DbError> {
    Ok(saved_replies::table
        .find(id)
        .select(SavedReplyRow::as_select())
        .first(conn)
        .optional()?)
}

/// Keeps a new saved reply with its audit event.
pub fn insert(
    conn: &mut DbConnection,
    row: &SavedReplyRow,
    audit: &NewEvent,
) -> Result<(), DbError> {
    write_tx(conn, |conn| {
        diesel::insert_into(saved_replies::table)
            .values(row)
            .execute(conn)?;
        diesel::insert_into(events::table)
            .values(audit)
            .execute(conn)?;
        Ok(())
    })
}

/// Applies a change with its audit event; `NotFound` when the saved reply is gone.
pub fn change(
    conn: &mut DbConnection,
    id: &str,
    changes: &SavedReplyChanges,
    audit: &NewEvent,
) -> Result<SavedReplyRow, DbError> {
    write_tx(conn, |conn| {
        let row = diesel::update(saved_replies::table.find(id))
            .set(changes)
            .returning(saved_replies::all_columns)
            .get_result(conn)?;
        diesel::insert_into(events::table)
            .values(audit)
            .execute(conn)?;
        Ok(row)
    })
}

/// Removes a saved reply with its audit event; `NotFound` when it is already gone.
pub fn delete(conn: &mut DbConnection, id: &str, audit: &NewEvent) -> Result<(), DbError> {
    write_tx(conn, |conn| {
        let gone = diesel::delete(saved_replies::table.find(id)).execute(conn)?;
        if gone == 0 {
            return Err(DbError::NotFound);
        }
        diesel::insert_into(events::table)
            .values(audit)
            .execute(conn)?;
        Ok(())
    })
}
