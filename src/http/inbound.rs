//! Inbound mail over HTTP: raw messages posted by an inbound-mail service
//! (`POST /v1/inbound/mime`, behind `inbound.token`), the messages that matched nothing (admins),
//! and a submission's raw messages (as visible as the submission).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::openapi::ErrorBody;
use super::staff::views::Instant;
use super::ApiError;
use crate::desk::inbound::{self, InboundError};
use crate::desk::Caller;
use crate::http::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    use super::resource;
    cfg.service(resource("/v1/inbound/mime", "POST").route(web::post().to(mime)))
        .service(resource("/v1/inbound/unmatched", "GET").route(web::get().to(unmatched)))
        .service(
            resource("/v1/submissions/{key}/messages/{message_id}/raw", "GET")
                .route(web::get().to(raw)),
        );
}

impl From<InboundError> for ApiError {
    fn from(e: InboundError) -> Self {
        match e {
            InboundError::TooLarge { .. } => ApiError::TooLarge,
            InboundError::Unparseable(why) => ApiError::Malformed(why),
            InboundError::Db(e) => e.into(),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// What became of a posted message.
#[derive(Debug, Serialize, ToSchema)]
pub struct Receipt {
    /// The stored message's id.
    pub id: String,
    /// `reply`, `new_submission`, `unmatched`, `ignored`, `bounce` or `duplicate`.
    pub outcome: String,
    /// Why it triggered nothing (`auto_submitted`, `bulk`, `mailing_list`, `null_sender`,
    /// `own_message`, `out_of_office`, `sender_limit`, `no_queue_address`, `submission_gone`,
    /// …), if so; `failed: ` and the error for a message parked as unmatched after a failure.
    pub reason: Option<String>,
    /// The reference of the submission it landed on.
    pub reference: Option<String>,
}

/// The body of `POST /v1/inbound/mime`: one message as RFC 5322 writes it. It opens with a
/// header field (`Name:`), after the mbox `From ` line some MTAs write; a body that does not is
/// no message (400). The document says so, so that a client generating bodies from it
/// (schemathesis) tells the two apart.
pub struct RawMessage;

impl utoipa::PartialSchema for RawMessage {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^(From [^\\n]*\\n)?[!-9;-~]+:"))
            .description(Some(
                "One raw message (RFC 5322), header lines first, at most inbound.max_bytes",
            ))
            .into()
    }
}

impl ToSchema for RawMessage {}

/// Takes in one raw RFC 5322 message, as an inbound-mail service posts it.
#[utoipa::path(post, path = "/v1/inbound/mime", tag = "inbound", security(("inbound" = [])),
    request_body(content = inline(RawMessage), content_type = "message/rfc822",
        description = "One raw message, at most inbound.max_bytes"),
    responses(
        (status = 202, description = "Stored, or deliberately ignored (a duplicate, automatic mail)", body = Receipt),
        (status = 400, description = "Not an e-mail message", body = ErrorBody),
        (status = 401, description = "No token, or not `inbound.token`", body = ErrorBody),
        (status = 404, description = "No `inbound.token` is configured", body = ErrorBody),
        (status = 413, description = "Over `inbound.max_bytes`", body = ErrorBody),
        (status = 415, description = "Not `message/rfc822`", body = ErrorBody),
        (status = 503, description = "The database is unavailable: post again later", body = ErrorBody,
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    ))]
pub async fn mime(
    req: HttpRequest,
    state: web::Data<AppState>,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let Some(token) = &state.settings.inbound.token else {
        return Err(ApiError::NotFound);
    };
    let sent = super::bearer_token(&req).unwrap_or_default();
    if !crate::desk::auth::same_secret(sent, token.expose_secret()) {
        return Err(ApiError::Unauthorized);
    }
    let rfc822 = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("message/rfc822"));
    if !rfc822 {
        return Err(ApiError::UnsupportedMediaType);
    }
    let max = state.settings.inbound.max_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(ApiError::TooLarge);
    }
    let mut raw = Vec::with_capacity(declared.unwrap_or(0).min(max));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            if crate::http::deadline::is_timeout(&e) {
                ApiError::Timeout
            } else {
                ApiError::Malformed(e.to_string())
            }
        })?;
        if raw.len() + chunk.len() > max {
            return Err(ApiError::TooLarge);
        }
        raw.extend_from_slice(&chunk);
    }
    let receipt = inbound::receive(&state, raw).await?;
    Ok(HttpResponse::Accepted().json(Receipt {
        id: receipt.id,
        outcome: receipt.outcome.to_owned(),
        reason: receipt.reason,
        reference: receipt.reference,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UnmatchedQuery {
    /// At most this many, newest first (1 to 200; 50 by default).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// A message that matched no submission.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnmatchedMessage {
    pub id: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    /// The new text (quotes stripped), never HTML.
    pub body: String,
    /// The whole text.
    pub text: String,
    /// Why it became nothing else (`no_queue_address`, `auto_submitted`, …).
    pub reason: Option<String>,
    pub message_id: Option<String>,
    pub at: Instant,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnmatchedList {
    pub messages: Vec<UnmatchedMessage>,
}

/// Messages that matched no submission and went to no queue address (or could not become
/// one): admins only.
#[utoipa::path(get, path = "/v1/inbound/unmatched", tag = "inbound", security(("bearer" = [])),
    params(UnmatchedQuery),
    responses(
        (status = 200, description = "Newest first", body = UnmatchedList),
        (status = 400, description = "A parameter does not parse", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Admins only", body = ErrorBody),
    ))]
pub async fn unmatched(
    state: web::Data<AppState>,
    who: Caller,
    query: web::Query<UnmatchedQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::Malformed("limit: 1 to 200".into()));
    }
    let rows = inbound::unmatched(&state, &who, limit).await?;
    Ok(HttpResponse::Ok().json(UnmatchedList {
        messages: rows
            .into_iter()
            .map(|m| UnmatchedMessage {
                id: m.id,
                from: m.sender,
                to: m.recipients,
                subject: m.subject,
                body: m.body,
                text: m.full_text,
                reason: m.reason,
                message_id: m.message_id,
                at: m.created_at.into(),
            })
            .collect(),
    }))
}

/// The raw message as received, for staff who may see the submission.
#[utoipa::path(get, path = "/v1/submissions/{key}/messages/{message_id}/raw", tag = "triage",
    security(("bearer" = [])),
    params(("key" = String, Path, description = "The submission's id or reference"),
        ("message_id" = String, Path, description = "The message's `id` in `messages`")),
    responses(
        (status = 200, description = "The message as received", content_type = "message/rfc822", body = String),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such inbound message on a submission the caller may see", body = ErrorBody),
    ))]
pub async fn raw(
    state: web::Data<AppState>,
    who: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (key, message_id) = path.into_inner();
    let bytes = inbound::raw(&state, &who, &key, &message_id).await?;
    Ok(HttpResponse::Ok()
        .content_type("message/rfc822")
        // Downloaded, never rendered: whatever it holds stays inert.
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"message.eml\"",
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(bytes))
}
