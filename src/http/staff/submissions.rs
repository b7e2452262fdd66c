//! The queues and their submissions: read, change, annotate, answer (the list is `list`).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use super::views::{DeliveryState, Detail, Note, Queue, Queues, Reply, Submission};
use crate::desk::conversation::Draft;
use crate::desk::triage::{self, Expected, Patch};
use crate::desk::Caller;
use crate::desk::{conversation, reading};
use crate::domain::{Priority, QueueName, Status};
use crate::http::openapi::{ErrorBody, Failures, SignedIn};
use crate::http::state::AppState;
use crate::http::ApiError;

fn etag(version: i32) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}

/// One submission with its notes, replies, audit trail and deliveries, and the same reader's
/// other submissions on the caller's desks. Its `ETag` is its version. Reading it marks it read
/// for the caller.
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
    // Reading it through the API opens it: it is read for the caller from now on.
    let record = reading::open(&state, &who, &key).await?;
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
        assignee: body.assignee,
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
