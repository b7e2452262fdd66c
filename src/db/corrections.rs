//! Corrections as published: what the public page and feeds list. No reader's data is kept
//! here, only the article, the text, the dates and the desk whose staff may change it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::events::NewEvent;
use super::schema::{corrections, events};
use super::{DbConnection, DbError};
use crate::domain::Desk;

#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = corrections)]
pub struct CorrectionRow {
    pub id: String,
    /// The request that led to it; emptied when that request is purged or erased.
    pub submission_id: Option<String>,
    pub article_url: String,
    pub text: String,
    pub public: bool,
    pub published_at: NaiveDateTime,
    /// When it was last changed or unpublished; `None` until then.
    pub updated_at: Option<NaiveDateTime>,
    pub desk: Desk,
}

/// What a change sets; `None` leaves a column as it is.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = corrections)]
pub struct CorrectionChanges {
    pub article_url: Option<String>,
    pub text: Option<String>,
    pub public: Option<bool>,
    pub updated_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, row: &CorrectionRow) -> Result<(), DbError> {
    diesel::insert_into(corrections::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// One correction, public or not.
pub fn by_id(conn: &mut DbConnection, id: &str) -> Result<Option<CorrectionRow>, DbError> {
    Ok(corrections::table
        .find(id)
        .select(CorrectionRow::as_select())
        .first(conn)
        .optional()?)
}

/// Applies a change to one correction, with its audit event (call inside a transaction).
pub fn change(
    conn: &mut DbConnection,
    id: &str,
    changes: &CorrectionChanges,
    audit: &NewEvent,
) -> Result<(), DbError> {
    diesel::update(corrections::table.find(id))
        .set(changes)
        .execute(conn)?;
    diesel::insert_into(events::table)
        .values(audit)
        .execute(conn)?;
    Ok(())
}

/// A page of public corrections, newest first: those strictly after `after` (a
/// `(published_at, id)` keyset), optionally for one article.
pub fn public_page(
    conn: &mut DbConnection,
    article_url: Option<&str>,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> Result<Vec<CorrectionRow>, DbError> {
    use corrections::dsl as c;
    let mut query = c::corrections
        .filter(c::public.eq(true))
        .select(CorrectionRow::as_select())
        .into_boxed();
    if let Some(url) = article_url {
        query = query.filter(c::article_url.eq(url.to_owned()));
    }
    if let Some((at, id)) = after {
        query = query
            .filter(c::published_at.le(at))
            .filter(c::published_at.lt(at).or(c::id.lt(id)));
    }
    Ok(query
        .order((c::published_at.desc(), c::id.desc()))
        .limit(limit)
        .load(conn)?)
}
