//! The console's cookie session and form tokens. The cookie holds a session token of the same
//! store as the API's bearer tokens; it is read only here, on `/staff/` paths, and a bearer
//! token is never read from it.

use actix_web::dev::Payload;
use actix_web::http::{header, Method};
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::{ConsoleError, Posted};
use crate::desk::auth::{AuthError, Caller};
use crate::http::state::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "courrier_staff";
/// The sign-in form's double-submit cookie.
pub const SIGNIN_COOKIE: &str = "courrier_signin";

/// A staff member signed in through the console's cookie, with their session's form token.
pub struct ConsoleUser {
    pub user: Caller,
    pub csrf: String,
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value: never readable by scripts, never sent cross-site, only under `path`.
pub fn set_cookie(name: &str, value: &str, path: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path={path}; HttpOnly; SameSite=Strict{secure}")
}

/// A `Set-Cookie` value that removes the cookie.
pub fn clear_cookie(name: &str, path: &str, secure: bool) -> String {
    format!("{}; Max-Age=0", set_cookie(name, "", path, secure))
}

/// Whether a request that changes something comes from another site, by what the browser says
/// of it: an `Origin` that is not this request's own (as it reached us, or `site.public_url`),
/// or `Sec-Fetch-Site: cross-site` or `same-site` (a sibling domain is another site to us). A
/// request that says neither passes: the form token still guards it.
pub fn from_elsewhere(req: &HttpRequest, public_url: &str) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site") {
        let site = site.to_str().unwrap_or_default().trim();
        if site.eq_ignore_ascii_case("cross-site") || site.eq_ignore_ascii_case("same-site") {
            return true;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    // `null` (a sandboxed or privacy-sensitive context) or anything unreadable is not ours.
    let Some(origin) = origin
        .to_str()
        .ok()
        .and_then(|o| url::Url::parse(o).ok())
        .map(|u| u.origin())
        .filter(url::Origin::is_tuple)
    else {
        return true;
    };
    let info = req.connection_info();
    let own = format!("{}://{}", info.scheme(), info.host());
    let ours = |candidate: &str| url::Url::parse(candidate).is_ok_and(|u| u.origin() == origin);
    !(ours(&own) || ours(public_url))
}

/// Where a request that needs a session goes without one: the sign-in page, coming back here
/// afterwards when it was a page view.
fn sign_in_for(req: &HttpRequest) -> ConsoleError {
    let next = (req.method() == Method::GET).then(|| {
        req.uri()
            .path_and_query()
            .map_or("/staff/", |p| p.as_str())
            .to_owned()
    });
    ConsoleError::SignIn { next }
}

impl FromRequest for ConsoleUser {
    type Error = ConsoleError;
    type Future = LocalBoxFuture<'static, Result<ConsoleUser, ConsoleError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = cookie(req, SESSION_COOKIE).map(str::to_owned);
        let refused = sign_in_for(req);
        // Every console request that changes something is a POST; one from another site
        // changes nothing, whatever it carries.
        let forged = !matches!(req.method(), &Method::GET | &Method::HEAD)
            && state
                .as_ref()
                .is_some_and(|s| from_elsewhere(req, &s.settings.site.public_url));
        Box::pin(async move {
            // Without a session cookie (a cross-site post carries none: it is `SameSite=Strict`),
            // the sign-in page, as ever; with one, a post from elsewhere is refused.
            let (Some(state), Some(token)) = (state, token) else {
                return Err(refused);
            };
            if forged {
                return Err(ConsoleError::BadToken);
            }
            match state.auth.authenticate(&state.pool, &token).await {
                Ok(user) => Ok(ConsoleUser {
                    csrf: state.auth.csrf_token(&user.session_id),
                    user,
                }),
                Err(AuthError::Unauthenticated | AuthError::InvalidCredentials) => Err(refused),
                Err(other) => Err(other.into()),
            }
        })
    }
}

impl ConsoleUser {
    /// The posted form, once its token proves it came from this session's own page; anything
    /// else changes nothing.
    pub fn checked(&self, state: &AppState, body: &[u8]) -> Result<Posted, ConsoleError> {
        let posted = Posted::parse(body);
        let sent = posted.get("csrf").unwrap_or_default();
        if state.auth.csrf_matches(&self.user.session_id, sent) {
            Ok(posted)
        } else {
            Err(ConsoleError::BadToken)
        }
    }

    /// The page frame for this account.
    pub fn frame(&self, req: &HttpRequest, title: &str, flash: Option<String>) -> super::Frame {
        let locale = super::language(req, self.user.locale);
        super::Frame {
            w: super::words::words(locale),
            who: Some((
                self.user.display_name.clone(),
                self.csrf.clone(),
                self.user.is_admin(),
            )),
            flash,
            title: title.to_owned(),
        }
    }
}
