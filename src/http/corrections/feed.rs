//! The public corrections as an Atom feed (RFC 4287). Every absolute address in it starts with
//! `site.public_url`, never with what a client says the host is (`Host`, `X-Forwarded-Host`,
//! `Forwarded`): a feed reader or a cache would otherwise keep links to wherever a client chose.
//! Every text is written as XML 1.0 can carry it, whatever the database holds.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{entries, listing, rfc3339, CorrectionsQuery, Entry};
use crate::desk::corrections::Correction;
use crate::domain::xml::carried;
use crate::domain::Locale;
use crate::http::openapi::ErrorBody;
use crate::http::state::AppState;
use crate::http::ApiError;

#[derive(Template)]
#[template(path = "feeds/corrections.xml")]
struct Feed<'a> {
    base: &'a str,
    this: &'a str,
    site: &'a str,
    title: &'a str,
    updated: String,
    entries: Vec<Entry>,
    next: Option<String>,
}

/// The public corrections as an Atom feed (RFC 4287), paged with `rel="next"` links.
#[utoipa::path(get, path = "/corrections.atom", tag = "corrections", params(CorrectionsQuery),
    responses(
        (status = 200, description = "The feed", content_type = "application/atom+xml", body = String),
        (status = 400, description = "A parameter does not parse", body = ErrorBody),
        (status = 503, description = "The database cannot be reached; try again", body = ErrorBody),
    ))]
pub async fn atom(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<CorrectionsQuery>,
) -> Result<HttpResponse, ApiError> {
    let list = listing(&state, &req, q.into_inner()).await?;
    let base = carried(state.settings.site.public_url.trim_end_matches('/'));
    let this = format!("{base}{}", list.this_link("/corrections.atom"));
    // The feed changed when its latest entry did.
    let updated = list
        .items
        .iter()
        .map(Correction::last_changed)
        .max()
        .unwrap_or_else(crate::desk::now);
    let rendered = Feed {
        base: &base,
        this: &this,
        site: &carried(&state.settings.site.name),
        title: match list.locale {
            Locale::Fr => "Rectificatifs",
            Locale::En => "Corrections",
        },
        updated: rfc3339(updated),
        entries: entries(&list.items, list.locale)
            .into_iter()
            .map(|e| Entry {
                title: carried(&e.title).into_owned(),
                article_url: carried(&e.article_url).into_owned(),
                text: carried(&e.text).into_owned(),
                ..e
            })
            .collect(),
        next: list
            .next_link("/corrections.atom")
            .map(|l| format!("{base}{l}")),
    }
    .render()
    .map_err(|e| ApiError::Internal(format!("corrections feed: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .body(rendered))
}
