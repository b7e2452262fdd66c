//! The public corrections: a page (fr/en), JSON any origin may read, and an Atom feed
//! (`feed.rs`). Each entry is the article, the dates and the text as published, never the reader
//! who asked. Staff change or unpublish one through `changes.rs`.

pub(crate) mod changes;
pub(crate) mod feed;

pub use changes::{change, unpublish};
pub use feed::atom;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use base64::Engine;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::desk::corrections::{self, Correction, CorrectionFilter};
use crate::domain::Locale;
use crate::http::openapi::ErrorBody;
use crate::http::state::AppState;
use crate::http::ApiError;

const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 100;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CorrectionsQuery {
    /// Only the corrections of this article (its exact address), for the article's own page.
    #[param(pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$")]
    article_url: Option<String>,
    /// How many per page, 1 to 100 (20 unless said).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// The `next` of the previous page. Opaque: one this API did not issue answers 400.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    cursor: Option<String>,
    /// The page's language, `fr` or `en`; otherwise `Accept-Language`, or French.
    #[param(pattern = "^(fr|en)?$")]
    lang: Option<String>,
}

/// One public correction.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicCorrection {
    pub id: String,
    /// The article corrected.
    pub article_url: String,
    /// The correction as published.
    pub text: String,
    /// RFC 3339, UTC.
    #[schema(format = DateTime)]
    pub published_at: String,
    /// When it was last changed; its publication time until then. RFC 3339, UTC.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// A page of corrections, newest first; `next` is the cursor of the following page, if any.
#[derive(Debug, Serialize, ToSchema)]
pub struct CorrectionsPage {
    pub items: Vec<PublicCorrection>,
    pub next: Option<String>,
}

fn rfc3339(t: NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn encode_cursor(c: &Correction) -> String {
    let raw = format!("{}|{}", c.published_at.and_utc().timestamp_micros(), c.id);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_cursor(c: &str) -> Result<(NaiveDateTime, String), ApiError> {
    let bad = || ApiError::Malformed("cursor: not one this API issued".into());
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let (micros, id) = raw.split_once('|').ok_or_else(bad)?;
    let at = chrono::DateTime::from_timestamp_micros(micros.parse().map_err(|_| bad())?)
        .ok_or_else(bad)?;
    Ok((at.naive_utc(), id.to_owned()))
}

/// What every form of the list shares: the page asked for, and the query of the next one.
struct Listing {
    items: Vec<Correction>,
    next: Option<String>,
    locale: Locale,
    /// The parameters asked, as understood (the cursor apart): the links repeat them.
    asked: Vec<(&'static str, String)>,
    /// The cursor of this page, if it is not the first.
    cursor: Option<String>,
}

impl Listing {
    /// `path` with the query that asks for this page again.
    fn this_link(&self, path: &str) -> String {
        link(path, &self.asked, self.cursor.as_deref())
    }

    /// `path` with the query that asks for the next page, if there is one.
    fn next_link(&self, path: &str) -> Option<String> {
        Some(link(path, &self.asked, Some(self.next.as_ref()?)))
    }
}

fn link(path: &str, asked: &[(&'static str, String)], cursor: Option<&str>) -> String {
    let mut pairs: Vec<(&str, &str)> = cursor.map(|c| ("cursor", c)).into_iter().collect();
    pairs.extend(asked.iter().map(|(k, v)| (*k, v.as_str())));
    match serde_urlencoded::to_string(&pairs).unwrap_or_default() {
        query if query.is_empty() => path.to_owned(),
        query => format!("{path}?{query}"),
    }
}

async fn listing(
    state: &AppState,
    req: &HttpRequest,
    q: CorrectionsQuery,
) -> Result<Listing, ApiError> {
    let blank = |v: Option<String>| v.filter(|s| !s.is_empty());
    let (article_url, cursor, lang) = (blank(q.article_url), blank(q.cursor), blank(q.lang));
    if article_url
        .as_deref()
        .is_some_and(|u| u.chars().any(char::is_control))
    {
        return Err(ApiError::Malformed(
            "article_url: control characters".into(),
        ));
    }
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::Malformed(format!("limit: 1 to {MAX_LIMIT}")));
    }
    let locale = match lang.as_deref() {
        None => crate::http::request_locale(req.headers()),
        Some(l) => Locale::parse(l).map_err(|_| ApiError::Malformed("lang: fr or en".into()))?,
    };
    let filter = CorrectionFilter {
        article_url: article_url.clone(),
        after: cursor.as_deref().map(decode_cursor).transpose()?,
        limit: limit + 1,
    };
    let mut items = corrections::public(state, filter).await?;
    let more = items.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    items.truncate(usize::try_from(limit).unwrap_or(0));
    let next = more.then(|| items.last().map(encode_cursor)).flatten();
    let asked = [
        ("article_url", article_url),
        ("limit", q.limit.map(|l| l.to_string())),
        ("lang", lang),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k, v?)))
    .collect();
    Ok(Listing {
        items,
        next,
        locale,
        asked,
        cursor,
    })
}

/// The public corrections as JSON; any origin may read them.
#[utoipa::path(get, path = "/corrections.json", tag = "corrections", params(CorrectionsQuery),
    responses(
        (status = 200, description = "A page of corrections, newest first", body = CorrectionsPage,
            headers(("Access-Control-Allow-Origin" = String, description = "`*`"))),
        (status = 400, description = "A parameter does not parse", body = ErrorBody),
        (status = 503, description = "The database cannot be reached; try again", body = ErrorBody),
    ))]
pub async fn json(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<CorrectionsQuery>,
) -> Result<HttpResponse, ApiError> {
    let list = listing(&state, &req, q.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .json(CorrectionsPage {
            items: list
                .items
                .iter()
                .map(|c| PublicCorrection {
                    id: c.id.clone(),
                    article_url: c.article_url.clone(),
                    text: c.text.clone(),
                    published_at: rfc3339(c.published_at),
                    updated_at: rfc3339(c.last_changed()),
                })
                .collect(),
            next: list.next,
        }))
}

struct Entry {
    id: String,
    title: String,
    article_url: String,
    text: String,
    date: String,
    /// Published, RFC 3339.
    datetime: String,
    /// Last changed, RFC 3339.
    updated: String,
}

fn entries(items: &[Correction], locale: Locale) -> Vec<Entry> {
    items
        .iter()
        .map(|c| Entry {
            id: c.id.clone(),
            title: match locale {
                Locale::Fr => format!("Correction du {}", c.published_at.format("%d/%m/%Y")),
                Locale::En => format!("Correction of {}", c.published_at.format("%Y-%m-%d")),
            },
            article_url: c.article_url.clone(),
            text: c.text.clone(),
            date: match locale {
                Locale::Fr => c.published_at.format("%d/%m/%Y").to_string(),
                Locale::En => c.published_at.format("%Y-%m-%d").to_string(),
            },
            datetime: rfc3339(c.published_at),
            updated: rfc3339(c.last_changed()),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "pages/corrections.html")]
struct Page<'a> {
    lang: &'a str,
    site: &'a str,
    title: &'a str,
    intro: &'a str,
    none: &'a str,
    more: &'a str,
    feed: &'a str,
    json: &'a str,
    entries: Vec<Entry>,
    next: Option<String>,
}

/// The public corrections, as a page in French or English.
#[utoipa::path(get, path = "/corrections", tag = "corrections", params(CorrectionsQuery),
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 400, description = "A parameter does not parse", body = ErrorBody),
        (status = 503, description = "The database cannot be reached; try again", body = ErrorBody),
    ))]
pub async fn page(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<CorrectionsQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut list = listing(&state, &req, q.into_inner()).await?;
    // The next page in the language of this one, whatever the reader's browser says next.
    if !list.asked.iter().any(|(k, _)| *k == "lang") {
        list.asked.push(("lang", list.locale.as_str().to_owned()));
    }
    let fr = list.locale == Locale::Fr;
    let rendered = Page {
        lang: list.locale.as_str(),
        site: &state.settings.site.name,
        title: if fr { "Rectificatifs" } else { "Corrections" },
        intro: if fr {
            "Les erreurs que nous avons corrigées dans nos articles, les plus récentes d’abord."
        } else {
            "The errors we have corrected in our articles, most recent first."
        },
        none: if fr {
            "Aucune correction publiée."
        } else {
            "No correction published."
        },
        more: if fr {
            "Corrections plus anciennes"
        } else {
            "Older corrections"
        },
        feed: "/corrections.atom",
        json: "/corrections.json",
        entries: entries(&list.items, list.locale),
        next: list.next_link("/corrections"),
    }
    .render()
    .map_err(|e| ApiError::Internal(format!("corrections page: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(rendered))
}
