//! What a console request answers when it fails: the sign-in page for a missing session, else a
//! small page in the staff member's language with the right status. A use case's known refusal
//! is never an "internal error": each says what happened and what to do, with the way back to
//! the submission when there is one.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::desk::accounts::AccountError;
use crate::desk::auth::{AuthError, HashError};
use crate::desk::handover::HandoverError;
use crate::desk::triage::TriageError;
use crate::desk::DbError;
use crate::domain::{FieldErrors, Locale, Msg};

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No live session: to the sign-in page (and back to `next` afterwards). Nothing changed.
    #[error("not signed in")]
    SignIn { next: Option<String> },
    /// A form without this session's token: nothing changed.
    #[error("bad form token")]
    BadToken,
    #[error("admins only")]
    Forbidden,
    /// Missing, or not the caller's to see: one answer for both.
    #[error("not found")]
    NotFound,
    #[error("bad request")]
    BadRequest,
    /// A use case refused the act for a reason the staff member can do something about: the
    /// messages say what, `back` is the page to return to.
    #[error("refused: {}", .msgs.first().map_or("", |m| m.code()))]
    Refused {
        status: StatusCode,
        msgs: Vec<Msg>,
        back: Option<String>,
    },
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<DbError> for ConsoleError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unavailable(why) => ConsoleError::Unavailable(why),
            DbError::NotFound => ConsoleError::NotFound,
            other => ConsoleError::Internal(crate::http::error::error_chain(&other)),
        }
    }
}

impl From<HashError> for ConsoleError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Busy => ConsoleError::Unavailable("sign-in hashing queue full".into()),
            HashError::Failed(why) => ConsoleError::Internal(why),
        }
    }
}

impl From<AuthError> for ConsoleError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Hash(e) => e.into(),
            AuthError::Db(e) => e.into(),
            AuthError::TooManyAttempts { .. } => {
                ConsoleError::refused(StatusCode::TOO_MANY_REQUESTS, Msg::TooManyRequests)
            }
            AuthError::Unauthenticated | AuthError::InvalidCredentials => {
                ConsoleError::SignIn { next: None }
            }
        }
    }
}

/// The messages of a validation failure: the summary, then each field's first problem.
fn invalid(fields: &FieldErrors) -> ConsoleError {
    let mut msgs = vec![Msg::ValidationFailed];
    msgs.extend(fields.values().filter_map(|l| l.first()).map(|e| e.msg));
    ConsoleError::Refused {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        msgs,
        back: None,
    }
}

/// Pages show most refusals by their field; whatever a page does not comes here, and each is
/// named: a new refusal must be given its page, not fall through to "internal error".
impl From<TriageError> for ConsoleError {
    fn from(e: TriageError) -> Self {
        match e {
            TriageError::NotFound => ConsoleError::NotFound,
            TriageError::Forbidden => ConsoleError::refused(StatusCode::FORBIDDEN, Msg::Forbidden),
            TriageError::Invalid(fields) => invalid(&fields),
            TriageError::Stale | TriageError::VersionConflict { .. } => {
                ConsoleError::refused(StatusCode::CONFLICT, Msg::VersionConflict)
            }
            TriageError::IllegalTransition { .. } => {
                ConsoleError::refused(StatusCode::CONFLICT, Msg::IllegalTransition)
            }
            TriageError::OutcomeRequired => {
                ConsoleError::refused(StatusCode::UNPROCESSABLE_ENTITY, Msg::OutcomeRequired)
            }
            TriageError::Db(e) => e.into(),
            TriageError::Internal(why) => ConsoleError::Internal(why),
        }
    }
}

impl From<HandoverError> for ConsoleError {
    fn from(e: HandoverError) -> Self {
        match e {
            HandoverError::Triage(e) => e.into(),
            HandoverError::NotEditorial => {
                ConsoleError::refused(StatusCode::CONFLICT, Msg::NotEditorial)
            }
            HandoverError::AlreadyHandedOver => {
                ConsoleError::refused(StatusCode::CONFLICT, Msg::AlreadyHandedOver)
            }
        }
    }
}

impl From<AccountError> for ConsoleError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid(fields) => invalid(&fields),
            AccountError::EmailTaken => {
                ConsoleError::refused(StatusCode::CONFLICT, Msg::EmailTaken)
            }
            AccountError::NotFound => ConsoleError::NotFound,
            AccountError::Forbidden => ConsoleError::Forbidden,
            AccountError::Hash(e) => e.into(),
            AccountError::Db(e) => e.into(),
        }
    }
}

#[derive(Template)]
#[template(path = "console/problem.html")]
struct Problem {
    f: super::Frame,
    /// What happened and what to do, one paragraph each.
    lines: Vec<String>,
    /// The page to go back to, besides the inbox.
    back: Option<String>,
}

impl ConsoleError {
    /// A refusal with one message.
    pub fn refused(status: StatusCode, msg: Msg) -> ConsoleError {
        ConsoleError::Refused {
            status,
            msgs: vec![msg],
            back: None,
        }
    }

    /// The same failure, with a way back to `path` when it is a refusal (a page that is not
    /// there, or not the caller's, offers none).
    pub fn back_to(self, path: String) -> ConsoleError {
        match self {
            ConsoleError::Refused { status, msgs, .. } => ConsoleError::Refused {
                status,
                msgs,
                back: Some(path),
            },
            other => other,
        }
    }

    /// The answer, in `locale`.
    pub fn render(&self, locale: Locale) -> HttpResponse {
        let w = super::words::words(locale);
        let (status, text) = match self {
            ConsoleError::SignIn { next } => {
                let location = match next {
                    Some(next) => format!(
                        "/staff/login?next={}",
                        url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                    ),
                    None => "/staff/login".to_owned(),
                };
                return super::see_other(&location);
            }
            ConsoleError::BadToken => (StatusCode::FORBIDDEN, w.bad_token),
            ConsoleError::Forbidden => (StatusCode::FORBIDDEN, w.forbidden),
            ConsoleError::NotFound => (StatusCode::NOT_FOUND, w.not_found),
            ConsoleError::BadRequest => (StatusCode::BAD_REQUEST, w.bad_request),
            ConsoleError::Refused { status, msgs, back } => {
                // The first message is the title; the others, then what to do, below it.
                let mut lines: Vec<String> = msgs.iter().skip(1).map(|m| m.text(locale)).collect();
                lines.push(w.refused_help.to_owned());
                let title = msgs.first().map_or_else(String::new, |m| m.text(locale));
                return Self::page(*status, locale, &title, lines, back.clone());
            }
            ConsoleError::Unavailable(why) => {
                tracing::warn!(error = %why, "console: database unavailable");
                (StatusCode::SERVICE_UNAVAILABLE, w.unavailable)
            }
            ConsoleError::Internal(why) => {
                tracing::error!(error = %why, "console: internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, w.internal)
            }
        };
        Self::page(status, locale, text, Vec::new(), None)
    }

    fn page(
        status: StatusCode,
        locale: Locale,
        title: &str,
        lines: Vec<String>,
        back: Option<String>,
    ) -> HttpResponse {
        let page = Problem {
            f: super::Frame::anonymous(locale, title),
            lines,
            back,
        };
        let mut res = HttpResponse::build(status);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.insert_header((header::RETRY_AFTER, "5"));
        }
        match page.render() {
            Ok(body) => res.content_type("text/html; charset=utf-8").body(body),
            Err(_) => res.finish(),
        }
    }
}

/// Only extractors' failures come through here (handlers render theirs in the page's
/// language): French, the console's default.
impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        self.render(Locale::Fr).status()
    }

    fn error_response(&self) -> HttpResponse {
        self.render(Locale::Fr)
    }
}

/// A handler's result, its failure rendered in the page's language.
pub fn answer(locale: Locale, result: Result<HttpResponse, ConsoleError>) -> HttpResponse {
    result.unwrap_or_else(|e| e.render(locale))
}
