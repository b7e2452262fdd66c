//! `GET /v1/submissions`: the submissions of the caller's desks, by view, filtered and sorted,
//! a page at a time, each with its last activity and whether the caller has read it.

use actix_web::{web, HttpResponse};
use base64::Engine;
use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;
use utoipa::IntoParams;

use super::views::{Page, Summary};
use crate::desk::triage::{self, AssigneeFilter, ListFilter, Sort, SubmissionSummary, View};
use crate::desk::Caller;
use crate::domain::{FormKind, QueueName, Status, Topic};
use crate::http::openapi::{ErrorBody, SignedIn};
use crate::http::state::AppState;
use crate::http::ApiError;

const DEFAULT_LIMIT: i64 = 25;
const MAX_LIMIT: i64 = 100;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `todo` (`new`, `open`, and `waiting` with a reader's answer since staff last acted),
    /// `mine` or `unassigned` (each without `resolved` and `spam`), or `all` (the default).
    #[param(schema_with = crate::http::openapi::view_param)]
    view: Option<String>,
    /// Only those with activity since the caller last opened them (`true`).
    unread: Option<bool>,
    /// A queue's name. An empty parameter is as good as none, here and below.
    #[param(pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$")]
    queue: Option<String>,
    status: Option<Status>,
    topic: Option<Topic>,
    form: Option<FormKind>,
    /// `web` (form posts) or `email` (mail to a queue's address).
    channel: Option<crate::domain::Channel>,
    /// A user id, `me` or `none`.
    #[param(pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$")]
    assignee: Option<String>,
    /// Only those past their deadline and still open (or, `false`, the others).
    overdue: Option<bool>,
    /// Received on or after: a date (`2026-11-30`, midnight UTC) or an RFC 3339 time.
    #[param(schema_with = crate::http::openapi::instant_param)]
    from: Option<String>,
    /// Received before: a date or an RFC 3339 time.
    #[param(schema_with = crate::http::openapi::instant_param)]
    to: Option<String>,
    /// Words to find in the name, address, subject, message or reference.
    #[param(pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$")]
    q: Option<String>,
    /// `newest`, `deadline` (those with a deadline, most urgent first) or `activity` (the
    /// latest activity first). The default is `activity` with a `view`, `newest` without.
    #[param(schema_with = crate::http::openapi::sort_param)]
    sort: Option<String>,
    /// How many per page, 1 to 100 (25 unless said).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// The `next` of the previous page, for the same sort. Opaque: one this API did not issue
    /// answers 400.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    cursor: Option<String>,
}

/// A date (`2026-11-30`, midnight UTC) or an RFC 3339 instant.
fn instant(field: &str, raw: &str) -> Result<NaiveDateTime, ApiError> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Ok(t.naive_utc());
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .ok_or_else(|| {
            ApiError::Malformed(format!("{field}: a date (YYYY-MM-DD) or an RFC 3339 time"))
        })
}

/// A cursor names the sort it belongs to, the sort key and the id of the last row shown.
fn encode_cursor(sort: Sort, s: &SubmissionSummary) -> String {
    let (tag, at) = match sort {
        Sort::Newest => ("n", s.created_at),
        Sort::Deadline => ("d", s.deadline_at.unwrap_or(s.created_at)),
        Sort::Activity => ("a", s.last_activity_at),
    };
    let raw = format!("{tag}|{}|{}", at.and_utc().timestamp_micros(), s.id);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_cursor(sort: Sort, c: &str) -> Result<(NaiveDateTime, String), ApiError> {
    let bad = || ApiError::Malformed("cursor: not one this API issued for this sort".into());
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let tag = match sort {
        Sort::Newest => "n|",
        Sort::Deadline => "d|",
        Sort::Activity => "a|",
    };
    let raw = raw.strip_prefix(tag).ok_or_else(bad)?;
    let (micros, id) = raw.split_once('|').ok_or_else(bad)?;
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let at = chrono::DateTime::from_timestamp_micros(micros).ok_or_else(bad)?;
    Ok((at.naive_utc(), id.to_owned()))
}

/// The submissions of the queues the caller may see, by view, filtered, a page at a time; each
/// with its last activity and whether the caller has read it since.
#[utoipa::path(get, path = "/v1/submissions", tag = "triage", operation_id = "list_submissions", security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, description = "A page of submissions", body = Page),
        (status = 400, description = "A parameter does not parse", body = ErrorBody),
        SignedIn,
    ))]
pub async fn list(
    state: web::Data<AppState>,
    who: Caller,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut q = query.into_inner();
    for text in [
        &mut q.view,
        &mut q.queue,
        &mut q.assignee,
        &mut q.from,
        &mut q.to,
        &mut q.q,
        &mut q.sort,
        &mut q.cursor,
    ] {
        if text.as_deref() == Some("") {
            *text = None;
        }
    }
    let texts = [
        &q.view,
        &q.queue,
        &q.assignee,
        &q.from,
        &q.to,
        &q.q,
        &q.sort,
        &q.cursor,
    ];
    if texts.iter().any(|t| {
        t.as_deref()
            .is_some_and(|t| t.chars().any(char::is_control))
    }) {
        return Err(ApiError::Malformed(
            "control characters in a parameter".into(),
        ));
    }
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::Malformed(format!("limit: 1 to {MAX_LIMIT}")));
    }
    // A queue name that cannot exist matches nothing, as an unknown one does: an empty page,
    // once every other parameter has been checked (a bad one is a 400 whatever the queue).
    let queue = q.queue.as_deref().map(QueueName::parse).transpose().ok();
    let impossible_queue = queue.is_none();
    let view = match q.view.as_deref() {
        None => View::All,
        Some(v) => View::parse(v)
            .ok_or_else(|| ApiError::Malformed("view: todo, mine, unassigned or all".into()))?,
    };
    let sort = match q.sort.as_deref() {
        // A view is a triage list: by activity unless told.
        None if q.view.is_some() => Sort::Activity,
        None | Some("newest") => Sort::Newest,
        Some("deadline") => Sort::Deadline,
        Some("activity") => Sort::Activity,
        Some(_) => {
            return Err(ApiError::Malformed(
                "sort: newest, deadline or activity".into(),
            ))
        }
    };
    let now = crate::desk::now();
    let filter = ListFilter {
        // Set by the use case from the caller's role.
        desks: Vec::new(),
        queue: queue.flatten(),
        status: q.status,
        topic: q.topic,
        form: q.form,
        channel: q.channel,
        assignee: q.assignee.map(|a| match a.as_str() {
            "me" => AssigneeFilter::User(who.id.clone()),
            "none" => AssigneeFilter::Nobody,
            _ => AssigneeFilter::User(a),
        }),
        overdue: q.overdue,
        from: q.from.as_deref().map(|f| instant("from", f)).transpose()?,
        to: q.to.as_deref().map(|t| instant("to", t)).transpose()?,
        q: q.q
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().to_owned()),
        view,
        unread: q.unread == Some(true),
        // Set by the use case: the caller.
        viewer: String::new(),
        sort,
        after: q
            .cursor
            .as_deref()
            .map(|c| decode_cursor(sort, c))
            .transpose()?,
        // One more than asked, to know whether there is a next page.
        limit: limit + 1,
        now,
    };
    if impossible_queue {
        return Ok(HttpResponse::Ok().json(Page::default()));
    }
    let mut rows = triage::list(&state, &who, filter).await?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next = if more {
        rows.last().map(|r| encode_cursor(sort, r))
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(Page {
        items: rows.iter().map(|r| Summary::new(r, now)).collect(),
        next,
    }))
}
