//! Signing in and out of the console. The sign-in form is protected by a signed double-submit
//! token: a random value in a cookie scoped to this page, and in the form that value's keyed
//! hash under the server's key, so a cookie planted from elsewhere with a value of the
//! attacker's choosing comes with no form token that passes. A post from another site, by its
//! `Origin` or `Sec-Fetch-Site`, is refused before anything else.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::error::answer;
use super::session::{
    clear_cookie, cookie, from_elsewhere, set_cookie, SESSION_COOKIE, SIGNIN_COOKIE,
};
use super::{language, page, see_other, ConsoleError, ConsoleUser, Frame, Posted};
use crate::desk::auth::{new_token, AuthError};
use crate::http::state::AppState;

const SIGNIN_PATH: &str = "/staff/login";

/// What the sign-in page says above its form.
enum Notice {
    None,
    Problem(String),
    Flash(String),
}

#[derive(Template)]
#[template(path = "console/login.html")]
struct Login<'a> {
    f: Frame,
    csrf: &'a str,
    next: &'a str,
    email: &'a str,
    problem: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    /// Why the page is shown: `out` (signed out), `password` (password changed), `invited`
    /// (password chosen through an invitation).
    done: Option<String>,
}

/// Where to go after signing in: a path of the console, never another site.
fn safe_next(next: Option<&str>) -> &str {
    next.filter(|n| {
        (n.starts_with("/staff/") || *n == "/staff")
            && !n.contains("//")
            && !n.contains('\\')
            && n.len() <= 2000
            && !n.chars().any(char::is_control)
    })
    .unwrap_or("/staff/")
}

/// The pre-session cookie's value: the browser's own when it has a plausible one, else a new
/// one. The form carries its keyed hash, not the value itself.
fn signin_cookie(req: &HttpRequest) -> String {
    cookie(req, SIGNIN_COOKIE)
        .filter(|t| {
            t.len() == 43
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map_or_else(new_token, str::to_owned)
}

fn render(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    pre_session: &str,
    next: &str,
    email: &str,
    notice: Notice,
) -> Result<HttpResponse, ConsoleError> {
    let locale = language(req, None);
    let mut f = Frame::anonymous(locale, super::words::words(locale).sign_in);
    let problem = match notice {
        Notice::Problem(text) => Some(text),
        Notice::Flash(text) => {
            f.flash = Some(text);
            None
        }
        Notice::None => None,
    };
    let token = state.auth.signin_token(pre_session);
    let mut res = page(
        status,
        Login {
            f,
            csrf: &token,
            next,
            email,
            problem,
        }
        .render(),
    )?;
    let value = set_cookie(
        SIGNIN_COOKIE,
        pre_session,
        SIGNIN_PATH,
        state.auth.settings.cookie_secure,
    );
    if let Ok(v) = header::HeaderValue::from_str(&value) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// `GET /staff/login`.
pub async fn page_view(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
) -> HttpResponse {
    let locale = language(&req, None);
    let w = super::words::words(locale);
    let notice = match query.done.as_deref() {
        Some("out") => Notice::Flash(w.signed_out.to_owned()),
        Some("password") => Notice::Flash(w.password_changed.to_owned()),
        Some("invited") => Notice::Flash(
            super::account_words::account_words(locale)
                .password_set
                .to_owned(),
        ),
        _ => Notice::None,
    };
    let pre_session = signin_cookie(&req);
    let next = safe_next(query.next.as_deref()).to_owned();
    answer(
        locale,
        render(
            &req,
            &state,
            StatusCode::OK,
            &pre_session,
            &next,
            "",
            notice,
        ),
    )
}

/// `POST /staff/login`: `email`, `password`, `next`, `csrf`.
pub async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let locale = language(&req, None);
    answer(locale, try_sign_in(&req, &state, &body).await)
}

async fn try_sign_in(
    req: &HttpRequest,
    state: &AppState,
    body: &[u8],
) -> Result<HttpResponse, ConsoleError> {
    if from_elsewhere(req, &state.settings.site.public_url) {
        return Err(ConsoleError::BadToken);
    }
    let posted = Posted::parse(body);
    let sent = posted.get("csrf").unwrap_or_default();
    let held = cookie(req, SIGNIN_COOKIE).unwrap_or_default();
    if !state.auth.signin_matches(held, sent) {
        return Err(ConsoleError::BadToken);
    }
    let email = posted.get("email").unwrap_or_default();
    let password = posted.get("password").unwrap_or_default();
    let next = safe_next(posted.get("next")).to_owned();
    let ip = crate::http::client_ip::client_ip(req, &state.trusted_proxies);
    let w = super::words::words(language(req, None));
    match state.auth.login(&state.pool, email, password, ip).await {
        Ok(issued) => {
            let secure = state.auth.settings.cookie_secure;
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, next))
                .append_header((
                    header::SET_COOKIE,
                    set_cookie(SESSION_COOKIE, &issued.token, "/staff", secure),
                ))
                .append_header((
                    header::SET_COOKIE,
                    clear_cookie(SIGNIN_COOKIE, SIGNIN_PATH, secure),
                ))
                .finish())
        }
        Err(AuthError::InvalidCredentials) => render(
            req,
            state,
            StatusCode::UNAUTHORIZED,
            held,
            &next,
            email,
            Notice::Problem(w.wrong_password.to_owned()),
        ),
        Err(AuthError::TooManyAttempts { retry_after_secs }) => {
            let wait = if retry_after_secs >= 120 {
                format!("{} {}", retry_after_secs.div_ceil(60), w.minutes)
            } else {
                format!("{} {}", retry_after_secs.max(1), w.seconds)
            };
            let mut res = render(
                req,
                state,
                StatusCode::TOO_MANY_REQUESTS,
                held,
                &next,
                email,
                Notice::Problem(format!("{} {wait}.", w.locked)),
            )?;
            if let Ok(v) = header::HeaderValue::from_str(&retry_after_secs.max(1).to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(res)
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /staff/logout`: ends this session and forgets the cookie.
pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: ConsoleUser,
    body: web::Bytes,
) -> HttpResponse {
    let locale = language(&req, who.user.locale);
    let result = async {
        who.checked(&state, &body)?;
        state.auth.logout(&state.pool, &who.user.session_id).await?;
        let secure = state.auth.settings.cookie_secure;
        let mut res = see_other("/staff/login?done=out");
        if let Ok(v) =
            header::HeaderValue::from_str(&clear_cookie(SESSION_COOKIE, "/staff", secure))
        {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
        Ok(res)
    }
    .await;
    answer(locale, result)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_console_paths_are_followed() {
        assert_eq!(
            safe_next(Some("/staff/submissions/AB12")),
            "/staff/submissions/AB12"
        );
        for elsewhere in [
            "https://evil.example/",
            "//evil.example/staff/",
            "/staff//evil",
            "/v1/users",
            "/staff/\\evil",
        ] {
            assert_eq!(safe_next(Some(elsewhere)), "/staff/", "{elsewhere}");
        }
        assert_eq!(safe_next(None), "/staff/");
    }
}
