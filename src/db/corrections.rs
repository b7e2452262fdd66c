//! Corrections as published: what the public page and feeds list. No reader's data is kept
//! here, only the article, the text and the date.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::corrections;
use super::{DbConnection, DbError};

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
}

pub fn insert(conn: &mut DbConnection, row: &CorrectionRow) -> Result<(), DbError> {
    diesel::insert_into(corrections::table)
        .values(row)
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
