//! The public record of corrections: what every reader is owed, never who asked.

use chrono::NaiveDateTime;

pub use crate::db::corrections::CorrectionRow as Correction;
use crate::db::{self, DbError};
use crate::desk::Context;

/// Which corrections, and from where in the list.
#[derive(Debug, Clone, Default)]
pub struct CorrectionFilter {
    /// Only this article's (exact address).
    pub article_url: Option<String>,
    /// Only those after this `(published_at, id)`, newest first.
    pub after: Option<(NaiveDateTime, String)>,
    pub limit: i64,
}

/// A page of public corrections, newest first.
pub async fn public(ctx: &Context, f: CorrectionFilter) -> Result<Vec<Correction>, DbError> {
    db::run(&ctx.pool, move |conn| {
        db::corrections::public_page(conn, f.article_url.as_deref(), f.after, f.limit)
    })
    .await
}
