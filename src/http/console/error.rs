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
            TriageError::ThreadChanged(_) => {
                ConsoleError::refused(StatusCode::CONFLICT, Msg::ThreadChanged)
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
            AccountError::CannotDisableSelf => {
                ConsoleError::refused(StatusCode::UNPROCESSABLE_ENTITY, Msg::CannotDisableSelf)
            }
            AccountError::Disabled => {
                ConsoleError::refused(StatusCode::CONFLICT, Msg::AccountDisabled)
            }
            AccountError::Compose(why) => ConsoleError::Internal(why),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{FieldError, Status};

    /// The page's status and body for a failure, in French.
    fn shown(e: ConsoleError) -> (StatusCode, String) {
        let res = e.render(Locale::Fr);
        let status = res.status();
        let body = actix_web::body::to_bytes(res.into_body());
        let body = futures_util::FutureExt::now_or_never(body)
            .and_then(Result::ok)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        (status, body)
    }

    #[test]
    fn every_known_refusal_is_a_page_that_says_what_to_do() {
        let mut fields = FieldErrors::new();
        fields.insert("assignee", vec![FieldError::new(Msg::AssigneeNotAllowed)]);
        let cases: Vec<(ConsoleError, StatusCode, String)> = vec![
            (
                TriageError::NotFound.into(),
                StatusCode::NOT_FOUND,
                "Introuvable.".into(),
            ),
            (
                TriageError::Forbidden.into(),
                StatusCode::FORBIDDEN,
                Msg::Forbidden.text(Locale::Fr),
            ),
            (
                TriageError::Invalid(fields.clone()).into(),
                StatusCode::UNPROCESSABLE_ENTITY,
                Msg::AssigneeNotAllowed.text(Locale::Fr),
            ),
            (
                TriageError::Stale.into(),
                StatusCode::CONFLICT,
                Msg::VersionConflict.text(Locale::Fr),
            ),
            (
                TriageError::VersionConflict { current: 3 }.into(),
                StatusCode::CONFLICT,
                Msg::VersionConflict.text(Locale::Fr),
            ),
            (
                TriageError::IllegalTransition {
                    from: Status::New,
                    to: Status::Resolved,
                }
                .into(),
                StatusCode::CONFLICT,
                Msg::IllegalTransition.text(Locale::Fr),
            ),
            (
                TriageError::OutcomeRequired.into(),
                StatusCode::UNPROCESSABLE_ENTITY,
                Msg::OutcomeRequired.text(Locale::Fr),
            ),
            (
                HandoverError::NotEditorial.into(),
                StatusCode::CONFLICT,
                Msg::NotEditorial.text(Locale::Fr),
            ),
            (
                HandoverError::AlreadyHandedOver.into(),
                StatusCode::CONFLICT,
                Msg::AlreadyHandedOver.text(Locale::Fr),
            ),
            (
                HandoverError::Triage(TriageError::OutcomeRequired).into(),
                StatusCode::UNPROCESSABLE_ENTITY,
                Msg::OutcomeRequired.text(Locale::Fr),
            ),
            (
                AccountError::Invalid(fields).into(),
                StatusCode::UNPROCESSABLE_ENTITY,
                Msg::AssigneeNotAllowed.text(Locale::Fr),
            ),
            (
                AccountError::EmailTaken.into(),
                StatusCode::CONFLICT,
                Msg::EmailTaken.text(Locale::Fr),
            ),
            (
                AccountError::NotFound.into(),
                StatusCode::NOT_FOUND,
                "Introuvable.".into(),
            ),
            (
                AccountError::Forbidden.into(),
                StatusCode::FORBIDDEN,
                "administrateurs".into(),
            ),
            (
                AuthError::TooManyAttempts {
                    retry_after_secs: 5,
                }
                .into(),
                StatusCode::TOO_MANY_REQUESTS,
                Msg::TooManyRequests.text(Locale::Fr),
            ),
            (
                TriageError::Db(DbError::Unavailable("down".into())).into(),
                StatusCode::SERVICE_UNAVAILABLE,
                "réessayez".into(),
            ),
            (
                ConsoleError::BadRequest,
                StatusCode::BAD_REQUEST,
                "Rechargez la page".into(),
            ),
        ];
        for (error, status, text) in cases {
            let name = format!("{error:?}");
            let (got, body) = shown(error);
            assert_eq!(got, status, "{name}");
            assert!(body.contains(&text), "{name}: {body}");
            assert!(!body.contains("Erreur interne"), "{name}");
        }
        let (_, refused) = shown(HandoverError::AlreadyHandedOver.into());
        assert!(refused.contains(super::super::words::FR.refused_help));
        // In English too, the page's own words and the catalogue's.
        let english = ConsoleError::from(HandoverError::AlreadyHandedOver).render(Locale::En);
        let body =
            futures_util::FutureExt::now_or_never(actix_web::body::to_bytes(english.into_body()))
                .and_then(Result::ok)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
        assert!(
            body.contains(&Msg::AlreadyHandedOver.text(Locale::En)),
            "{body}"
        );
        assert!(body.contains(super::super::words::EN.refused_help));
    }

    #[test]
    fn a_refusal_leads_back_to_its_submission_and_an_unknown_failure_says_nothing_of_its_cause() {
        let back = ConsoleError::from(HandoverError::AlreadyHandedOver)
            .back_to("/staff/submissions/NR-1".into());
        assert!(shown(back)
            .1
            .contains("<a href=\"/staff/submissions/NR-1\" id=\"back\">"));
        // A page that is not there offers no way back to it.
        let missing = ConsoleError::NotFound.back_to("/staff/submissions/NR-1".into());
        assert!(!shown(missing).1.contains("id=\"back\""));
        let (status, body) = shown(TriageError::Internal("smtp template broke".into()).into());
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(body.contains("Erreur interne") && !body.contains("smtp template"));
    }
}
