//! The public record of corrections: what every reader is owed, never who asked. Staff of the
//! correction's desk (and admins) may fix a published one or unpublish it; each change is
//! audited.

use crate::domain::EventKind;
use chrono::NaiveDateTime;
use serde_json::json;

pub use super::views::Correction;
use crate::db::corrections::CorrectionChanges;
use crate::db::corrections::CorrectionRow;
use crate::db::events::NewEvent;
use crate::db::{self, DbError};
use crate::desk::Caller;
use crate::desk::Context;
use crate::domain::duties::outcome_text;
use crate::domain::{ArticleUrl, Desk, FieldErrors};

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
    let rows = db::run(&ctx.pool, move |conn| {
        db::corrections::public_page(conn, f.article_url.as_deref(), f.after, f.limit)
    })
    .await?;
    Ok(rows.into_iter().map(Correction::from).collect())
}

/// Why a change to a correction did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CorrectionError {
    #[error("correction not found")]
    NotFound,
    /// Signed in, but not on the correction's desk.
    #[error("not allowed")]
    Forbidden,
    #[error("invalid fields")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Who may change or unpublish a desk's corrections: admins, and that desk's own staff.
pub fn may_change(who: &Caller, desk: Desk) -> bool {
    who.sees(desk)
}

/// A change as staff send it: each field left out stays as it is.
#[derive(Debug, Clone, Default)]
pub struct CorrectionChange {
    pub text: Option<String>,
    pub article_url: Option<String>,
    pub public: Option<bool>,
}

impl CorrectionChange {
    /// The change checked, every field's problems together.
    fn checked(self) -> Result<CorrectionChanges, CorrectionError> {
        let mut problems = FieldErrors::new();
        let text = self.text.map(|t| outcome_text(&t)).transpose();
        let article_url = self
            .article_url
            .map(|u| ArticleUrl::parse(&u).map(|u| u.as_str().to_owned()))
            .transpose();
        if let Err(e) = &text {
            problems.insert("text", vec![e.clone()]);
        }
        if let Err(e) = &article_url {
            problems.insert("article_url", vec![e.clone()]);
        }
        match (text, article_url) {
            (Ok(text), Ok(article_url)) => Ok(CorrectionChanges {
                article_url,
                text,
                public: self.public,
                updated_at: None,
            }),
            _ => Err(CorrectionError::Invalid(problems)),
        }
    }
}

/// Changes a correction (its text, its article, whether it is public) and returns it as it now
/// stands. A change that changes nothing writes nothing.
pub async fn change(
    ctx: &Context,
    who: &Caller,
    id: &str,
    change: CorrectionChange,
) -> Result<Correction, CorrectionError> {
    let wanted = change.checked()?;
    edit(ctx, who, id, EventKind::CorrectionChanged, wanted).await
}

/// Takes a correction off the public page and feeds; it stays on record. Unpublishing one that
/// is not public changes nothing.
pub async fn unpublish(ctx: &Context, who: &Caller, id: &str) -> Result<(), CorrectionError> {
    let wanted = CorrectionChanges {
        public: Some(false),
        ..CorrectionChanges::default()
    };
    edit(ctx, who, id, EventKind::CorrectionUnpublished, wanted)
        .await
        .map(|_| ())
}

/// Applies `wanted` to a correction of a desk the caller may change, with an audit event of
/// `kind` saying what it was and what it became, in one transaction.
async fn edit(
    ctx: &Context,
    who: &Caller,
    id: &str,
    kind: EventKind,
    mut wanted: CorrectionChanges,
) -> Result<Correction, CorrectionError> {
    if !db::searchable(id) {
        return Err(CorrectionError::NotFound);
    }
    let (who, id) = (who.clone(), id.to_owned());
    db::run(&ctx.pool, move |conn| {
        // The use case's own errors ride inside; the outer one is the database's.
        Ok(db::transaction(conn, |conn| {
            let current = db::corrections::by_id(conn, &id)?.ok_or(CorrectionError::NotFound)?;
            if !may_change(&who, current.desk) {
                return Err(CorrectionError::Forbidden);
            }
            // Only what differs is a change.
            wanted.text = wanted.text.filter(|t| *t != current.text);
            wanted.article_url = wanted.article_url.filter(|u| *u != current.article_url);
            wanted.public = wanted.public.filter(|p| *p != current.public);
            if wanted.text.is_none() && wanted.article_url.is_none() && wanted.public.is_none() {
                return Ok(current.into());
            }
            let now = db::now();
            wanted.updated_at = Some(now);
            let mut from = serde_json::Map::new();
            let mut to = serde_json::Map::new();
            if let Some(text) = &wanted.text {
                from.insert("text".into(), json!(current.text));
                to.insert("text".into(), json!(text));
            }
            if let Some(url) = &wanted.article_url {
                from.insert("article_url".into(), json!(current.article_url));
                to.insert("article_url".into(), json!(url));
            }
            if let Some(public) = wanted.public {
                from.insert("public".into(), json!(current.public));
                to.insert("public".into(), json!(public));
            }
            let detail = json!({"correction_id": id, "from": from, "to": to});
            let audit = NewEvent::new(
                current.submission_id.as_deref(),
                &who.id,
                kind,
                &detail,
                now,
            );
            db::corrections::change(conn, &id, &wanted, &audit)?;
            Ok(CorrectionRow {
                text: wanted.text.unwrap_or(current.text),
                article_url: wanted.article_url.unwrap_or(current.article_url),
                public: wanted.public.unwrap_or(current.public),
                updated_at: Some(now),
                ..current
            }
            .into())
        }))
    })
    .await?
}
