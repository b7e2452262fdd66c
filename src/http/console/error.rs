//! What a console request answers when it fails: the sign-in page for a missing session, else a
//! small page in the reader's language with the right status.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::desk::accounts::AccountError;
use crate::desk::auth::{AuthError, HashError};
use crate::desk::triage::TriageError;
use crate::desk::DbError;
use crate::domain::Locale;

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
            other => ConsoleError::Internal(other.to_string()),
        }
    }
}

/// Only the failures a page does not show by its fields arrive here.
impl From<TriageError> for ConsoleError {
    fn from(e: TriageError) -> Self {
        match e {
            TriageError::NotFound => ConsoleError::NotFound,
            TriageError::Forbidden => ConsoleError::Forbidden,
            TriageError::Db(e) => e.into(),
            other => ConsoleError::Internal(other.to_string()),
        }
    }
}

impl From<AccountError> for ConsoleError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::NotFound => ConsoleError::NotFound,
            AccountError::Forbidden => ConsoleError::Forbidden,
            AccountError::Hash(e) => e.into(),
            AccountError::Db(e) => e.into(),
            other => ConsoleError::Internal(other.to_string()),
        }
    }
}

#[derive(Template)]
#[template(path = "console/problem.html")]
struct Problem {
    f: super::Frame,
}

impl ConsoleError {
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
            ConsoleError::Unavailable(why) => {
                tracing::warn!(error = %why, "console: database unavailable");
                (StatusCode::SERVICE_UNAVAILABLE, w.unavailable)
            }
            ConsoleError::Internal(why) => {
                tracing::error!(error = %why, "console: internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, w.internal)
            }
        };
        let page = Problem {
            f: super::Frame::anonymous(locale, text),
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
