//! One error type for every HTTP failure. Which variant to use:
//! - `Validation`: the body parsed but fields break rules (422, per field, localised);
//! - `Malformed`: the body cannot be read as the declared format, or has unknown fields (400);
//! - `TooLarge` (413), `UnsupportedMediaType` (415), `Timeout` (408): transport-level refusals;
//! - `Unavailable`: the database is unreachable, locked or the pool is exhausted (503, retry);
//! - `Unauthorized` (401, no or dead session), `InvalidCredentials` (401, failed sign-in, the
//!   same answer for an unknown account), `Forbidden` (403, the role does not allow it),
//!   `NotFound` (404, also for what the caller may not see), `Conflict` (409),
//!   `PreconditionFailed` (412, stale `If-Match`), `TooManyRequests` (429, with `Retry-After`),
//!   `MethodNotAllowed` (405, with `Allow`);
//! - `Internal`: anything else; logged with its cause here, and the body says nothing of it.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use serde_json::{json, Map, Value};

use crate::desk::accounts::AccountError;
use crate::desk::auth::{AuthError, HashError};
use crate::desk::intake::IntakeError;
use crate::desk::triage::TriageError;
use crate::desk::DbError;
use crate::domain::i18n::{label, Label};
use crate::domain::{FieldErrors, Locale, Msg};

/// Seconds a client should wait before trying again after a 503.
const RETRY_AFTER_SECS: &str = "5";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("validation failed")]
    Validation(FieldErrors),
    #[error("malformed request: {0}")]
    Malformed(String),
    /// Query parameters that do not parse (400), each named with its problem in `fields`.
    #[error("bad parameters")]
    BadParameters(FieldErrors),
    #[error("request body too large")]
    TooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("request body not received in time")]
    Timeout,
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
    #[error("not signed in")]
    Unauthorized,
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// 409, with a code and whatever helps the client (e.g. the allowed moves).
    #[error("conflict: {}", .code.code())]
    Conflict { code: Msg, detail: Option<Value> },
    #[error("precondition failed")]
    PreconditionFailed,
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// 405, with the methods the route takes.
    #[error("method not allowed")]
    MethodNotAllowed(&'static str),
    /// 431: the request's headers are larger than we read.
    #[error("request headers too large")]
    HeadersTooLarge,
    /// 422 with a code of its own, about the request as a whole (`outcome_required`).
    #[error("unprocessable: {}", .0.code())]
    Unprocessable(Msg),
    /// 422: an `Idempotency-Key` already used for another body.
    #[error("idempotency key reused with another body")]
    IdempotencyKeyReused,
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unavailable(why) => ApiError::Unavailable(why),
            DbError::NotFound => ApiError::NotFound,
            other => ApiError::Internal(error_chain(&other)),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::InvalidCredentials => ApiError::InvalidCredentials,
            AuthError::Unauthenticated => ApiError::Unauthorized,
            AuthError::TooManyAttempts { retry_after_secs } => {
                ApiError::TooManyRequests { retry_after_secs }
            }
            AuthError::Hash(e) => e.into(),
            AuthError::Db(e) => e.into(),
        }
    }
}

impl From<HashError> for ApiError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Busy => ApiError::Unavailable("sign-in hashing queue full".into()),
            HashError::Failed(why) => ApiError::Internal(why),
        }
    }
}

impl From<TriageError> for ApiError {
    fn from(e: TriageError) -> Self {
        match e {
            TriageError::NotFound => ApiError::NotFound,
            TriageError::Forbidden => ApiError::Forbidden,
            TriageError::Invalid(fields) => ApiError::Validation(fields),
            TriageError::Stale => ApiError::PreconditionFailed,
            TriageError::VersionConflict { current } => ApiError::Conflict {
                code: Msg::VersionConflict,
                detail: Some(json!({ "current_version": current })),
            },
            TriageError::IllegalTransition { from, to } => ApiError::Conflict {
                code: Msg::IllegalTransition,
                detail: Some(json!({
                    "from": from.as_str(),
                    "to": to.as_str(),
                    "allowed": from.allowed_moves().iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                })),
            },
            TriageError::Db(e) => e.into(),
            TriageError::OutcomeRequired => ApiError::Unprocessable(Msg::OutcomeRequired),
            TriageError::ThreadChanged(record) => ApiError::Conflict {
                code: Msg::ThreadChanged,
                detail: Some(json!({ "items": super::staff::thread::messages(&record) })),
            },
            TriageError::Internal(why) => ApiError::Internal(why),
        }
    }
}

impl From<IntakeError> for ApiError {
    fn from(e: IntakeError) -> Self {
        match e {
            IntakeError::Db(e) => e.into(),
            IntakeError::KeyReused => ApiError::IdempotencyKeyReused,
            IntakeError::UnknownConsentVersion => ApiError::Validation(
                [(
                    "consent_version",
                    vec![crate::domain::FieldError::new(Msg::UnknownConsentVersion)],
                )]
                .into_iter()
                .collect(),
            ),
            IntakeError::RateLimited { retry_after_secs } => {
                ApiError::TooManyRequests { retry_after_secs }
            }
            other => ApiError::Internal(error_chain(&other)),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid(fields) => ApiError::Validation(fields),
            AccountError::EmailTaken => ApiError::Conflict {
                code: Msg::EmailTaken,
                detail: None,
            },
            AccountError::NotFound => ApiError::NotFound,
            AccountError::Forbidden => ApiError::Forbidden,
            AccountError::CannotDisableSelf => ApiError::Unprocessable(Msg::CannotDisableSelf),
            AccountError::Disabled => ApiError::Conflict {
                code: Msg::AccountDisabled,
                detail: None,
            },
            AccountError::Compose(why) => ApiError::Internal(why),
            AccountError::Hash(e) => e.into(),
            AccountError::Db(e) => e.into(),
        }
    }
}

/// An error and its causes on one line, for the log.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

#[derive(Template)]
#[template(path = "pages/form_error.html")]
struct ErrorPage<'a> {
    lang: &'a str,
    /// A narrow no-break space and a colon in French, a colon alone in English.
    colon: &'static str,
    title: &'a str,
    summary: String,
    problems: Vec<(String, String)>,
    back: &'a str,
    back_url: &'a str,
}

impl ApiError {
    fn msg(&self) -> Msg {
        match self {
            ApiError::Validation(_) => Msg::ValidationFailed,
            ApiError::Malformed(_) | ApiError::BadParameters(_) => Msg::Malformed,
            ApiError::TooLarge => Msg::TooLarge,
            ApiError::UnsupportedMediaType => Msg::UnsupportedMediaType,
            ApiError::Timeout => Msg::RequestTimeout,
            ApiError::Unavailable(_) => Msg::Unavailable,
            ApiError::Internal(_) => Msg::Internal,
            ApiError::Unauthorized => Msg::Unauthorized,
            ApiError::InvalidCredentials => Msg::InvalidCredentials,
            ApiError::Forbidden => Msg::Forbidden,
            ApiError::NotFound => Msg::NotFound,
            ApiError::Conflict { code, .. } => *code,
            ApiError::PreconditionFailed => Msg::PreconditionFailed,
            ApiError::TooManyRequests { .. } => Msg::TooManyRequests,
            ApiError::MethodNotAllowed(_) => Msg::MethodNotAllowed,
            ApiError::IdempotencyKeyReused => Msg::IdempotencyKeyReused,
            ApiError::HeadersTooLarge => Msg::HeadersTooLarge,
            ApiError::Unprocessable(msg) => *msg,
        }
    }

    fn code(&self) -> &'static str {
        self.msg().code()
    }

    /// Logs what operators need (never the reader's data), once, where the error is answered.
    pub(crate) fn log(&self) {
        match self {
            ApiError::Internal(cause) => tracing::error!(%cause, "request failed"),
            ApiError::Unavailable(cause) => tracing::warn!(%cause, "database unavailable"),
            _ => {}
        }
    }

    /// The answer: JSON for programs, or a small page in the reader's language for HTML forms.
    /// `html_back` is the page to link back to when answering an HTML form post.
    pub fn respond(&self, locale: Locale, html_back: Option<&str>) -> HttpResponse {
        self.log();
        self.render(locale, html_back)
    }

    /// The answer without the log line: for an error already logged, written again in the
    /// request's language (see `http::headers`).
    pub fn render(&self, locale: Locale, html_back: Option<&str>) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status_code());
        match self {
            ApiError::Unavailable(_) => {
                builder.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS));
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                builder.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::Unauthorized | ApiError::InvalidCredentials => {
                builder.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            ApiError::MethodNotAllowed(allow) => {
                builder.insert_header((header::ALLOW, *allow));
            }
            _ => {}
        }
        if let Some(back_url) = html_back {
            let problems = match self {
                ApiError::Validation(fields) => fields
                    .iter()
                    .flat_map(|(field, errs)| {
                        errs.iter()
                            .map(move |e| (field_label(field, locale), e.msg.text(locale)))
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let page = ErrorPage {
                lang: locale.as_str(),
                colon: locale.colon(),
                title: label(Label::FixProblems, locale),
                summary: self.msg().text(locale),
                problems,
                back: label(Label::GoBack, locale),
                back_url,
            };
            return match page.render() {
                Ok(body) => builder.content_type("text/html; charset=utf-8").body(body),
                Err(e) => {
                    tracing::error!(error = %e, "error page did not render");
                    builder.finish()
                }
            };
        }
        let mut body = Map::new();
        body.insert("error".into(), json!(self.code()));
        body.insert("message".into(), json!(self.msg().text(locale)));
        if let ApiError::Validation(fields) | ApiError::BadParameters(fields) = self {
            let fields: Map<String, Value> = fields
                .iter()
                .map(|(field, errs)| {
                    let list = errs
                        .iter()
                        .map(|e| json!({"code": e.code, "message": e.msg.text(locale)}))
                        .collect();
                    ((*field).to_owned(), Value::Array(list))
                })
                .collect();
            body.insert("fields".into(), Value::Object(fields));
        }
        if let ApiError::Conflict {
            detail: Some(Value::Object(extra)),
            ..
        } = self
        {
            body.extend(extra.clone());
        }
        builder.json(Value::Object(body))
    }
}

pub fn field_label(field: &str, locale: Locale) -> String {
    let l = match field {
        "name" => Label::Name,
        "email" => Label::Email,
        "phone" => Label::Phone,
        "organisation" => Label::Organisation,
        "subject" => Label::Subject,
        "message" => Label::Message,
        "article_url" => Label::ArticleUrl,
        "article_title" => Label::ArticleTitle,
        "topic" => Label::Topic,
        "consent" => Label::ConsentBox,
        "marketing_opt_in" => Label::MarketingOptIn,
        other => return other.to_owned(),
    };
    label(l, locale).to_owned()
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Malformed(_) | ApiError::BadParameters(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Timeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unauthorized | ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::IdempotencyKeyReused | ApiError::Unprocessable(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        }
    }

    /// Actix gives no request here: the answer is French, the default, and `http::headers`
    /// writes it again in the language the request asks for.
    fn error_response(&self) -> HttpResponse {
        self.respond(Locale::Fr, None)
    }
}
