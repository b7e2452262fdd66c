//! The queues and their submissions: list, read, change, annotate, answer.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Deserializer};
use utoipa::{IntoParams, ToSchema};

use super::views::{DeliveryState, Detail, Note, Page, Queue, Queues, Reply, Submission, Summary};
use crate::desk::conversation::{self, Draft};
use crate::desk::triage::{self, Expected, Patch};
use crate::desk::triage::{AssigneeFilter, ListFilter, Sort, SubmissionSummary};
use crate::desk::Caller;
use crate::domain::{FormKind, Priority, QueueName, Status, Topic};
use crate::http::openapi::{ErrorBody, Failures, SignedIn};
use crate::http::startup::AppState;
use crate::http::ApiError;

const DEFAULT_LIMIT: i64 = 25;
const MAX_LIMIT: i64 = 100;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
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
    /// `newest` (default) or `deadline` (those with a deadline, most urgent first).
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

/// The submissions of the queues the caller may see, filtered, a page at a time.
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
    // A queue name that cannot exist matches nothing, as an unknown one does.
    let queue = match q.queue.as_deref().map(QueueName::parse).transpose() {
        Ok(queue) => queue,
        Err(_) => return Ok(HttpResponse::Ok().json(Page::default())),
    };
    let sort = match q.sort.as_deref() {
        None | Some("newest") => Sort::Newest,
        Some("deadline") => Sort::Deadline,
        Some(_) => return Err(ApiError::Malformed("sort: newest or deadline".into())),
    };
    let now = crate::desk::now();
    let filter = ListFilter {
        // Set by the use case from the caller's role.
        desks: Vec::new(),
        queue,
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

/// One submission with its notes, replies, audit trail and deliveries. Its `ETag` is its version.
#[utoipa::path(get, path = "/v1/submissions/{key}", tag = "triage", operation_id = "get_submission", security(("bearer" = [])),
    params(("key" = String, Path, description = "The submission's id or reference")),
    responses(
        (status = 200, description = "The submission", body = Detail,
            headers(("ETag" = String, description = "The version, for If-Match"))),
        (status = 404, description = "No such submission, or one on another desk", body = ErrorBody),
        SignedIn,
    ))]
pub async fn detail(
    state: web::Data<AppState>,
    who: Caller,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let record = triage::record(&state, &who, &key).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(record.submission.version))
        .json(Detail::new(&record, crate::desk::now())))
}

/// A JSON integer, also when written with a fraction of zero (`3.0`), as JSON Schema allows.
fn integral<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    use serde::de::Error;
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    let whole = n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
            .map(|f| f as i64)
    });
    whole
        .and_then(|w| i32::try_from(w).ok())
        .map(Some)
        .ok_or_else(|| D::Error::custom("version: an integer"))
}

fn double_option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchBody {
    status: Option<Status>,
    priority: Option<Priority>,
    /// Another queue of the same desk.
    queue: Option<String>,
    /// A user id, `me`, or `null` to unassign.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    assignee: Option<Option<String>>,
    /// The version last read: the change merges with others made since, and answers `409
    /// version_conflict` only when a field it changes was changed since. (`If-Match` is the
    /// strict form: any change since answers `412`.)
    #[serde(default, deserialize_with = "integral")]
    version: Option<i32>,
    /// When the article was published (`YYYY-MM-DD`), or `null` to clear it: a right of reply
    /// asked for over three months later is flagged `out_of_time`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Date)]
    article_published_at: Option<Option<String>>,
    /// How a right of reply (`inserted` or `refused`) or a correction (`corrected`) was closed;
    /// given with `status: resolved`, and required for a right of reply.
    outcome: Option<crate::domain::Outcome>,
    /// Puts the submission on legal hold (`true`, in a dispute, say) or lifts the hold
    /// (`false`); audited. The retention purge and the erasure leave a held submission alone.
    legal_hold: Option<bool>,
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

/// Moves a submission along its workflow, sets its priority, queue or assignee, or puts it on
/// legal hold. Assigning a `new` submission to someone opens it (audited).
#[utoipa::path(patch, path = "/v1/submissions/{key}", tag = "triage", operation_id = "change_submission", security(("bearer" = [])),
    params(
        ("key" = String, Path, description = "The submission's id or reference"),
        ("If-Match" = Option<String>, Header, nullable = false, description = "The ETag last read", pattern = "^(W/)?\"?[0-9]{1,9}\"?$"),
    ),
    request_body = PatchBody,
    responses(
        (status = 200, description = "The submission as changed", body = Submission,
            headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "A queue the caller may not use, or one of the other desk", body = ErrorBody),
        (status = 404, description = "No such submission, or one on another desk", body = ErrorBody),
        (status = 409, description = "A move the workflow does not allow (`illegal_transition`; the body lists the allowed ones), or a field changed since `version` that this change sets too (`version_conflict`, with `current_version`)", body = ErrorBody),
        (status = 412, description = "A stale `If-Match`", body = ErrorBody),
        (status = 422, description = "No such assignee, or one who may not see the queue; a bad date or outcome; a right of reply resolved without its outcome (`outcome_required`)", body = ErrorBody),
        Failures, SignedIn,
    ))]
pub async fn patch(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Caller,
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
    let article_published_at = body
        .article_published_at
        .map(|date| {
            date.map(|d| crate::domain::duties::publication_date(&d))
                .transpose()
                .map_err(|e| {
                    ApiError::Validation([("article_published_at", vec![e])].into_iter().collect())
                })
        })
        .transpose()?;
    let patch = Patch {
        status: body.status,
        priority: body.priority,
        queue,
        assignee,
        duties: crate::desk::closing::DutyPatch {
            article_published_at,
            outcome: body.outcome,
        },
        legal_hold: body.legal_hold,
    };
    let row = triage::patch(&state, &who, &key, patch, expected).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(Submission::new(&row, crate::desk::now())))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    #[schema(schema_with = crate::http::openapi::note_body)]
    body: String,
}

/// Adds an internal note. Notes are never e-mailed.
#[utoipa::path(post, path = "/v1/submissions/{key}/notes", tag = "triage", security(("bearer" = [])),
    params(("key" = String, Path, description = "The submission's id or reference")),
    request_body = NoteBody,
    responses(
        (status = 201, description = "The note", body = Note),
        (status = 404, description = "No such submission, or one on another desk", body = ErrorBody),
        (status = 422, description = "An empty or over-long note", body = ErrorBody),
        Failures, SignedIn,
    ))]
pub async fn add_note(
    state: web::Data<AppState>,
    who: Caller,
    key: web::Path<String>,
    body: web::Json<NoteBody>,
) -> Result<HttpResponse, ApiError> {
    let note = conversation::add_note(&state, &who, &key, &body.body).await?;
    Ok(HttpResponse::Created().json(Note::from(&note)))
}

/// The composer's one field list: the reply, and the status and assignee set with it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    #[schema(schema_with = crate::http::openapi::reply_body)]
    body: String,
    #[schema(schema_with = crate::http::openapi::reply_subject)]
    subject: Option<String>,
    /// The status to set with the reply, by the workflow's rules (`409 illegal_transition`
    /// otherwise, and nothing is sent). Absent: unchanged; a `new` submission opens by itself.
    status: Option<Status>,
    /// A user id, `me`, or `null` to unassign, as the PATCH's; absent: unchanged.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    assignee: Option<Option<String>>,
    /// The `id` of the newest item of the detail's `messages` the author saw (`""` when the
    /// thread was empty). When a newer item exists, nothing is sent: `409 thread_changed` with
    /// the new `items`. Absent or `null`: no check.
    #[schema(pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$", max_length = 64)]
    thread_seen: Option<String>,
    /// `true` sends even though the thread changed since `thread_seen`.
    confirm: Option<bool>,
    /// The submission's version last read: status and assignee merge with others' changes as
    /// the PATCH's `version` does (`409 version_conflict` only when one of them changed since).
    #[serde(default, deserialize_with = "integral")]
    version: Option<i32>,
}

impl From<ReplyBody> for Draft {
    fn from(b: ReplyBody) -> Draft {
        Draft {
            subject: b.subject,
            body: b.body,
            status: b.status,
            assignee: b.assignee,
            thread_seen: b.thread_seen,
            confirm: b.confirm.unwrap_or(false),
            version: b.version,
        }
    }
}

/// E-mails the reader from the queue's address, threaded under the acknowledgement, and sets
/// the status and assignee given with it, in one transaction: all of it happens, or nothing.
#[utoipa::path(post, path = "/v1/submissions/{key}/replies", tag = "triage", security(("bearer" = [])),
    params(("key" = String, Path, description = "The submission's id or reference")),
    request_body = ReplyBody,
    responses(
        (status = 201, description = "The reply, queued for sending", body = Reply),
        (status = 404, description = "No such submission, or one on another desk", body = ErrorBody),
        (status = 409, description = "Nothing sent. `thread_changed`: the thread has items newer than `thread_seen` (listed in `items`; resend with `confirm: true`); `illegal_transition`: a status the workflow does not allow from the current one (the body lists the allowed ones); `version_conflict`: the status or assignee changed since `version`", body = ErrorBody),
        (status = 422, description = "An empty or over-long reply or subject; no such assignee, or one who may not see the queue; a `thread_seen` not in this thread (`not_in_thread`); a right of reply resolved without its outcome (`outcome_required`)", body = ErrorBody),
        Failures, SignedIn,
    ))]
pub async fn reply(
    state: web::Data<AppState>,
    who: Caller,
    key: web::Path<String>,
    body: web::Json<ReplyBody>,
) -> Result<HttpResponse, ApiError> {
    let reply = conversation::reply(&state, &who, &key, body.into_inner().into()).await?;
    Ok(HttpResponse::Created().json(Reply::new(&reply, Some(DeliveryState::Pending))))
}

/// The queues the caller may see, with counts by status and how many are overdue.
#[utoipa::path(get, path = "/v1/queues", tag = "triage", security(("bearer" = [])),
    responses((status = 200, description = "The queues", body = Queues), SignedIn))]
pub async fn queues(state: web::Data<AppState>, who: Caller) -> Result<HttpResponse, ApiError> {
    let views = triage::queues(&state, &who).await?;
    Ok(HttpResponse::Ok().json(Queues {
        queues: views.iter().map(Queue::from).collect(),
    }))
}
