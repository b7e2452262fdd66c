//! The staff console: server-rendered pages under `/staff/`, signed in by a cookie, every
//! change a form with the session's token, answered with Post/Redirect/Get. Pages call the same
//! use cases as the JSON API.

mod account;
mod account_words;
mod composer;
mod error;
mod history;
mod inbox;
mod invitation;
mod login;
mod outcome;
mod saved_reply;
mod session;
mod submission;
mod submission_actions;
mod time;
mod triage_views;
mod users;
mod words;

use actix_web::{web, HttpRequest, HttpResponse};

pub use error::ConsoleError;
pub use session::ConsoleUser;
use words::Words;

use crate::domain::Locale;

pub fn routes(cfg: &mut web::ServiceConfig) {
    use crate::http::resource;
    cfg.service(resource("/assets/console.css", "GET").route(web::get().to(stylesheet)))
        .service(resource("/assets/console.js", "GET").route(web::get().to(script)))
        .service(resource("/staff", "GET").route(web::get().to(to_inbox)))
        .service(
            resource("/staff/login", "GET, POST")
                .route(web::get().to(login::page_view))
                .route(web::post().to(login::sign_in)),
        )
        .service(resource("/staff/logout", "POST").route(web::post().to(login::sign_out)))
        .service(resource("/staff/", "GET").route(web::get().to(inbox::page_view)))
        .service(resource("/staff/bulk", "POST").route(web::post().to(inbox::bulk)))
        .service(
            resource("/staff/submissions/{reference}", "GET")
                .route(web::get().to(submission::page_view)),
        )
        .service(
            resource("/staff/submissions/{reference}/saved-replies/{id}", "GET")
                .route(web::get().to(saved_reply::filled_text)),
        )
        .service(
            resource("/staff/submissions/{reference}/{action}", "POST")
                .route(web::post().to(submission_actions::act)),
        )
        .service(
            resource("/staff/users", "GET, POST")
                .route(web::get().to(users::page_view))
                .route(web::post().to(users::create)),
        )
        .service(
            resource("/staff/users/{id}/{action}", "POST").route(web::post().to(users::change)),
        )
        .service(
            resource("/staff/invitation/{token}", "GET, POST")
                .route(web::get().to(invitation::page_view))
                .route(web::post().to(invitation::set_password)),
        )
        .service(resource("/staff/account", "GET").route(web::get().to(account::page_view)))
        .service(
            resource("/staff/account/{action}", "POST").route(web::post().to(account::change)),
        );
}

async fn to_inbox() -> HttpResponse {
    see_other("/staff/")
}

/// The console's stylesheet, compiled into the binary.
async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("cache-control", "public, max-age=3600"))
        .body(include_str!("../../../assets/console.css"))
}

/// Progressive enhancement only: every page works without it.
async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("cache-control", "public, max-age=3600"))
        .body(include_str!("../../../assets/console.js"))
}

/// A `303 See Other` to a path of ours.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location))
        .finish()
}

/// The page's language: the account's choice, else the browser's, else French.
pub fn language(req: &HttpRequest, chosen: Option<Locale>) -> Locale {
    chosen.unwrap_or_else(|| crate::http::request_locale(req.headers()))
}

/// What the layout of every page needs.
pub struct Frame {
    pub w: &'static Words,
    /// Who is signed in, their form token and whether they see the accounts page.
    pub who: Option<(String, String, bool)>,
    pub flash: Option<String>,
    pub title: String,
}

impl Frame {
    pub fn anonymous(locale: Locale, title: &str) -> Frame {
        Frame {
            w: words::words(locale),
            who: None,
            flash: None,
            title: title.to_owned(),
        }
    }
}

/// A rendered page with its status.
pub fn page(
    status: actix_web::http::StatusCode,
    rendered: Result<String, askama::Error>,
) -> Result<HttpResponse, ConsoleError> {
    let body = rendered.map_err(|e| ConsoleError::Internal(e.to_string()))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// The fields of a posted form, in order, repeated names kept.
pub struct Posted(Vec<(String, String)>);

impl Posted {
    pub fn parse(body: &[u8]) -> Posted {
        Posted(url::form_urlencoded::parse(body).into_owned().collect())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}
