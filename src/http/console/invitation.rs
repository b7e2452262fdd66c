//! `/staff/invitation/{token}`: the page an invitation's link opens, without a session. It asks
//! for the password (with its rules), sets it once, then sends to the sign-in page. The link's
//! own secret stands for the form token: a post from another site cannot know it, and one that
//! says it comes from elsewhere is refused before anything else.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::account_words::{account_words, AccountWords};
use super::error::answer;
use super::session::from_elsewhere;
use super::{language, page, see_other, ConsoleError, Frame, Posted};
use crate::desk::invitations::{self, InvitationError, Pending};
use crate::domain::{Locale, Password};
use crate::http::state::AppState;

#[derive(Template)]
#[template(path = "console/invitation.html")]
struct InvitationPage<'a> {
    f: Frame,
    a: &'static AccountWords,
    token: &'a str,
    /// The account, while the link is good; `None` on the page that says why it is not.
    pending: Option<Pending>,
    rules: String,
    min: usize,
    problem: Option<String>,
    error: Option<String>,
}

fn render(
    locale: Locale,
    status: StatusCode,
    token: &str,
    found: Result<Pending, &InvitationError>,
    error: Option<String>,
) -> Result<HttpResponse, ConsoleError> {
    let a = account_words(locale);
    let (pending, problem) = match found {
        Ok(p) => (Some(p), None),
        Err(InvitationError::Used) => (None, Some(a.link_used)),
        Err(InvitationError::Expired) => (None, Some(a.link_expired)),
        Err(_) => (None, Some(a.link_unknown)),
    };
    let rules = a
        .password_rules
        .replace("{min}", &Password::MIN.to_string())
        .replace("{max}", &Password::MAX.to_string());
    page(
        status,
        InvitationPage {
            f: Frame::anonymous(locale, a.choose_password),
            a,
            token,
            pending,
            rules,
            min: Password::MIN,
            problem: problem.map(str::to_owned),
            error,
        }
        .render(),
    )
}

/// The page for a link that does not work: 404 when unknown (or replaced), 410 when spent or
/// expired; other failures are the console's usual pages.
fn refused(locale: Locale, token: &str, e: InvitationError) -> Result<HttpResponse, ConsoleError> {
    let status = match e {
        InvitationError::Unknown => StatusCode::NOT_FOUND,
        InvitationError::Used | InvitationError::Expired => StatusCode::GONE,
        InvitationError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        InvitationError::Hash(e) => return Err(e.into()),
        InvitationError::Db(e) => return Err(e.into()),
    };
    render(locale, status, token, Err(&e), None)
}

/// `GET /staff/invitation/{token}`.
pub async fn page_view(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> HttpResponse {
    let browser = language(&req, None);
    match invitations::pending(&state, &token).await {
        Ok(p) => {
            let locale = p.locale.unwrap_or(browser);
            answer(locale, render(locale, StatusCode::OK, &token, Ok(p), None))
        }
        Err(e) => answer(browser, refused(browser, &token, e)),
    }
}

/// `POST /staff/invitation/{token}`: `password`.
pub async fn set_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let locale = language(&req, None);
    if from_elsewhere(&req, &state.settings.site.public_url) {
        return ConsoleError::BadToken.render(locale);
    }
    let posted = Posted::parse(&body);
    let password = posted.get("password").unwrap_or_default().to_owned();
    let result = match invitations::accept(&state, &token, password).await {
        Ok(()) => Ok(see_other("/staff/login?done=invited")),
        Err(InvitationError::Invalid(fields)) => {
            let error = fields
                .get("password")
                .and_then(|l| l.first())
                .map(|e| e.msg.text(locale));
            match invitations::pending(&state, &token).await {
                Ok(p) => render(
                    locale,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &token,
                    Ok(p),
                    error,
                ),
                Err(e) => refused(locale, &token, e),
            }
        }
        Err(e) => refused(locale, &token, e),
    };
    answer(locale, result)
}
