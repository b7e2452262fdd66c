//! The queues and their submissions: list, read, change, annotate, answer.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

use super::ts;
use crate::auth::StaffUser;
use crate::db;
use crate::db::submissions::SubmissionRow;
use crate::db::triage::{AssigneeFilter, ListFilter, Record, Sort, SubmissionSummary};
use crate::domain::{FormKind, Priority, QueueName, Status, Topic};
use crate::http::ApiError;
use crate::startup::AppState;
use crate::triage::{self, Expected, Patch};

const DEFAULT_LIMIT: i64 = 25;
const MAX_LIMIT: i64 = 100;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    queue: Option<String>,
    status: Option<Status>,
    topic: Option<Topic>,
    form: Option<FormKind>,
    /// A user id, `me` or `none`.
    assignee: Option<String>,
    overdue: Option<bool>,
    from: Option<String>,
    to: Option<String>,
    q: Option<String>,
    /// `newest` (default) or `deadline` (those with a deadline, most urgent first).
    sort: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

fn overdue(deadline: Option<NaiveDateTime>, status: &str, now: NaiveDateTime) -> bool {
    deadline.is_some_and(|d| d < now) && Status::parse(status).is_ok_and(Status::is_open)
}

fn summary_json(s: &SubmissionSummary, now: NaiveDateTime) -> Value {
    json!({
        "id": s.id,
        "reference": s.reference,
        "form": s.form,
        "topic": s.topic,
        "queue": s.queue,
        "status": s.status,
        "priority": s.priority,
        "name": s.name,
        "email": s.email,
        "subject": s.subject,
        "assignee_id": s.assignee_id,
        "created_at": ts(s.created_at),
        "updated_at": ts(s.updated_at),
        "deadline_at": s.deadline_at.map(ts),
        "overdue": overdue(s.deadline_at, &s.status, now),
    })
}

/// The whole submission: the list's fields and the rest.
fn submission_json(s: &SubmissionRow, now: NaiveDateTime) -> Value {
    let mut body = summary_json(&SubmissionSummary::from(s), now);
    let rest = json!({
        "phone": s.phone,
        "organisation": s.organisation,
        "message": s.message,
        "article_url": s.article_url,
        "article_title": s.article_title,
        "locale": s.locale,
        "consent": {"given": s.consent, "version": s.consent_version, "at": ts(s.consent_at)},
        "marketing_opt_in": s.marketing_opt_in,
        "version": s.version,
        "first_response_at": s.first_response_at.map(ts),
        "resolved_at": s.resolved_at.map(ts),
    });
    if let (Value::Object(body), Value::Object(rest)) = (&mut body, rest) {
        body.extend(rest);
    }
    body
}

fn record_json(r: &Record, now: NaiveDateTime) -> Value {
    let mut body = submission_json(&r.submission, now);
    body["notes"] = r
        .notes
        .iter()
        .map(|n| json!({"id": n.id, "author_id": n.author_id, "body": n.body, "created_at": ts(n.created_at)}))
        .collect();
    body["replies"] = r
        .replies
        .iter()
        .map(|m| {
            let delivery = r
                .deliveries
                .iter()
                .find(|d| Some(&d.id) == m.outbox_id.as_ref());
            json!({
                "id": m.id,
                "direction": m.direction,
                "author_id": m.author_id,
                "message_id": m.message_id,
                "subject": m.subject,
                "body": m.body,
                "created_at": ts(m.created_at),
                "delivery": delivery.map(|d| d.status.clone()),
            })
        })
        .collect();
    body["events"] = r
        .events
        .iter()
        .map(|e| {
            let detail: Value = serde_json::from_str(&e.detail).unwrap_or(Value::Null);
            json!({"id": e.id, "actor": e.actor, "kind": e.kind, "detail": detail, "at": ts(e.created_at)})
        })
        .collect();
    body["deliveries"] = r
        .deliveries
        .iter()
        .map(|d| {
            json!({
                "id": d.id,
                "purpose": d.purpose,
                "status": d.status,
                "attempts": d.attempts,
                "last_error": d.last_error,
                "message_id": d.message_id,
                "created_at": ts(d.created_at),
                "sent_at": d.sent_at.map(ts),
            })
        })
        .collect();
    body
}

fn etag(version: i32) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
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
    };
    let raw = raw.strip_prefix(tag).ok_or_else(bad)?;
    let (micros, id) = raw.split_once('|').ok_or_else(bad)?;
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let at = chrono::DateTime::from_timestamp_micros(micros).ok_or_else(bad)?;
    Ok((at.naive_utc(), id.to_owned()))
}

pub async fn list(
    state: web::Data<AppState>,
    who: StaffUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let texts = [
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
    let mut queues = triage::visible_queues(&state, who.role);
    if let Some(wanted) = &q.queue {
        queues.retain(|name| name == wanted);
    }
    let sort = match q.sort.as_deref() {
        None | Some("newest") => Sort::Newest,
        Some("deadline") => Sort::Deadline,
        Some(_) => return Err(ApiError::Malformed("sort: newest or deadline".into())),
    };
    let now = db::now();
    let filter = ListFilter {
        queues,
        status: q.status.map(|s| s.as_str().to_owned()),
        topic: q.topic.map(|t| t.as_str().to_owned()),
        form: q.form.map(|f| f.as_str().to_owned()),
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
    let mut rows = triage::list(&state, filter).await?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next = if more {
        rows.last().map(|r| encode_cursor(sort, r))
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(json!({
        "items": rows.iter().map(|r| summary_json(r, now)).collect::<Vec<_>>(),
        "next": next,
    })))
}

pub async fn detail(
    state: web::Data<AppState>,
    who: StaffUser,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let record = triage::record(&state, &who, &key).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(record.submission.version))
        .json(record_json(&record, db::now())))
}

fn double_option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchBody {
    status: Option<Status>,
    priority: Option<Priority>,
    queue: Option<String>,
    /// A user id, `me`, or `null` to unassign.
    #[serde(default, deserialize_with = "double_option")]
    assignee: Option<Option<String>>,
    version: Option<i32>,
}

fn if_match(req: &HttpRequest) -> Result<Option<i32>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default().trim();
    let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    text.parse()
        .map(Some)
        .map_err(|_| ApiError::Malformed("If-Match: the ETag this API sent, e.g. \"3\"".into()))
}

pub async fn patch(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: StaffUser,
    key: web::Path<String>,
    body: web::Json<PatchBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let expected = match (if_match(&req)?, body.version) {
        (Some(v), _) => Expected::IfMatch(v),
        (None, Some(v)) => Expected::Field(v),
        (None, None) => Expected::Any,
    };
    let queue = body
        .queue
        .map(|q| QueueName::parse(&q).map_err(|_| ApiError::Forbidden))
        .transpose()?;
    let assignee = body
        .assignee
        .map(|a| a.map(|id| if id == "me" { who.id.clone() } else { id }));
    let patch = Patch {
        status: body.status,
        priority: body.priority,
        queue,
        assignee,
    };
    let row = triage::patch(&state, &who, &key, patch, expected).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(submission_json(&row, db::now())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    body: String,
}

pub async fn add_note(
    state: web::Data<AppState>,
    who: StaffUser,
    key: web::Path<String>,
    body: web::Json<NoteBody>,
) -> Result<HttpResponse, ApiError> {
    let note = triage::add_note(&state, &who, &key, &body.body).await?;
    Ok(HttpResponse::Created().json(json!({
        "id": note.id,
        "author_id": note.author_id,
        "body": note.body,
        "created_at": ts(note.created_at),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    body: String,
    subject: Option<String>,
}

pub async fn reply(
    state: web::Data<AppState>,
    who: StaffUser,
    key: web::Path<String>,
    body: web::Json<ReplyBody>,
) -> Result<HttpResponse, ApiError> {
    let reply = triage::reply(&state, &who, &key, &body.body, body.subject.as_deref()).await?;
    Ok(HttpResponse::Created().json(json!({
        "id": reply.id,
        "message_id": reply.message_id,
        "subject": reply.subject,
        "body": reply.body,
        "created_at": ts(reply.created_at),
        "delivery": "pending",
    })))
}

pub async fn queues(state: web::Data<AppState>, who: StaffUser) -> Result<HttpResponse, ApiError> {
    let views = triage::queues(&state, &who).await?;
    Ok(HttpResponse::Ok().json(json!({
        "queues": views.iter().map(|v| json!({
            "name": v.name,
            "label": v.label,
            "desk": v.desk,
            "counts": v.counts.iter().map(|(k, n)| (k.clone(), json!(n))).collect::<serde_json::Map<String, Value>>(),
            "overdue": v.overdue,
        })).collect::<Vec<_>>(),
    })))
}
