//! The two reader forms: JSON from the site's script, or a plain HTML form post.

use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

use super::client_ip::client_ip;
use super::error::ApiError;
use super::openapi::{
    ErrorBody, NewsroomForm, NewsroomHtmlForm, Received, SalesForm, SalesHtmlForm,
};
use crate::desk::idempotency::{Fingerprint, Keyed};
use crate::desk::intake::{self, ClientMeta, IntakeError};
use crate::desk::screening::Clues;
use crate::domain::TOKEN_FIELD;
use crate::domain::{FormKind, Locale, Msg, NewSubmission};
use crate::http::state::AppState;
use crate::instruments::Outcome;

mod again;
mod decode;
mod idempotency;

use decode::{encoding, read_body};
pub use decode::{parse_post, parse_submission, Encoding, ExtraFields, MAX_BODY};
use idempotency::idempotency_key;

/// The two form routes: the same handling, documented once.
macro_rules! form_route {
    ($(#[$doc:meta])* $name:ident, $kind:expr, $path:tt, $json:tt, $html:tt) => {
        $(#[$doc])*
        #[utoipa::path(post, path = $path, tag = "forms",
            request_body(content(
                ($json = "application/json"),
                ($html = "application/x-www-form-urlencoded"),
            )),
            params(
                ("Accept-Language" = Option<String>, Header, description = "The language of the answer when the body names none"),
                ("Idempotency-Key" = Option<String>, Header, nullable = false, pattern = "^[!-~]{1,255}$",
                    description = "Sent again with the same body, the same answer, and one submission; with another body, 422. Keys live `limits.idempotency_hours`"),
            ),
            responses(
                (status = 201, description = "Stored; the acknowledgement and the team's notification are on their way", body = Received),
                (status = 303, description = "Stored (HTML form post): on to the thank-you page",
                    headers(("Location" = String, description = "The thank-you page, with the reference"))),
                (status = 400, description = "The body is not valid JSON or form data, has unknown fields, or is not UTF-8",
                    content((ErrorBody = "application/json"), (String = "text/html"))),
                (status = 408, description = "The body did not arrive in time",
                    content((ErrorBody = "application/json"), (String = "text/html"))),
                (status = 413, description = "The body is larger than 64 KiB",
                    content((ErrorBody = "application/json"), (String = "text/html"))),
                (status = 415, description = "Neither JSON nor a URL-encoded form in UTF-8", body = ErrorBody),
                (status = 422, description = "Fields break rules: every field's every problem, in the reader's language; or an `Idempotency-Key` already used for another body",
                    content((ErrorBody = "application/json"), (String = "text/html"))),
                (status = 429, description = "Too many posts from this address, or for this reader's e-mail address; nothing was stored",
                    content((ErrorBody = "application/json"), (String = "text/html")),
                    headers(("Retry-After" = String, description = "Seconds to wait"))),
                (status = 503, description = "The database cannot be reached; nothing was stored, try again",
                    content((ErrorBody = "application/json"), (String = "text/html")),
                    headers(("Retry-After" = String, description = "Seconds to wait"))),
            ))]
        pub async fn $name(
            req: HttpRequest,
            body: web::Payload,
            state: web::Data<AppState>,
        ) -> HttpResponse {
            submit($kind, req, body, state).await
        }
    };
}

form_route!(
    /// A reader writes to the newsroom: a tip, a correction request, a right of reply, feedback.
    newsroom,
    FormKind::Newsroom,
    "/v1/forms/newsroom",
    NewsroomForm,
    NewsroomHtmlForm
);
form_route!(
    /// A reader writes to sales: advertising, subscriptions, partnerships, licensing.
    sales,
    FormKind::Sales,
    "/v1/forms/sales",
    SalesForm,
    SalesHtmlForm
);

async fn submit(
    form: FormKind,
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let fallback = super::request_locale(req.headers());
    let encoding = encoding(&req);
    let back = back_link(&req, &state.settings.site.origins);
    let html_back = (encoding == Some(Encoding::Form)).then_some(back.as_str());
    let ip = client_ip(&req, &state.trusted_proxies);
    let limited = |secs| {
        state
            .instruments
            .submission(form.as_str(), "none", Outcome::RateLimited);
        ApiError::TooManyRequests {
            retry_after_secs: secs,
        }
        .respond(fallback, html_back)
    };
    if let Some(ip) = ip {
        if let Err(secs) = state.form_limits.check_client(ip).await {
            return limited(secs);
        }
    }
    let key = match idempotency_key(&req) {
        Ok(key) => key,
        Err(e) => return e.respond(fallback, html_back),
    };
    let answer = |reference: &str, locale: Locale, article: Option<&str>| match html_back {
        Some(_) => HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                thank_you(&state.settings.site, reference, locale, article),
            ))
            .finish(),
        None => HttpResponse::Created().json(Received {
            reference: reference.to_owned(),
            status: "received",
            message: Msg::Received.text(locale),
        }),
    };
    let (submission, clues, fingerprint) =
        match extract(form, &req, body, &state, fallback, encoding).await {
            Ok(s) => s,
            Err((err, locale, posted)) => {
                state
                    .instruments
                    .submission(form.as_str(), "none", Outcome::Invalid);
                // An HTML form with fields to correct: the form again, as the reader filled it.
                if let (Some(back), ApiError::Validation(errors), Some(posted)) =
                    (html_back, &err, posted)
                {
                    err.log();
                    return again::page(&state, form, locale, &posted, errors, back);
                }
                return err.respond(locale, html_back);
            }
        };
    let locale = submission.locale;
    let article = submission
        .article_url
        .as_ref()
        .map(|u| u.as_str().to_owned());
    let meta = ClientMeta {
        ip,
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        idempotency: key.map(|key| Keyed { key, fingerprint }),
        channel: crate::domain::Channel::Web,
    };
    match intake::receive(&state, submission, &clues, meta).await {
        Ok(reference) => answer(&reference, locale, article.as_deref()),
        Err(IntakeError::RateLimited { retry_after_secs }) => limited(retry_after_secs),
        Err(e) => ApiError::from(e).respond(locale, html_back),
    }
}

/// Reads, decodes and checks the form; the error comes with the language to answer in.
async fn extract(
    form: FormKind,
    req: &HttpRequest,
    body: web::Payload,
    state: &AppState,
    fallback: Locale,
    encoding: Option<Encoding>,
) -> Result<(NewSubmission, Clues, Fingerprint), (ApiError, Locale, Option<Bytes>)> {
    let fail = |e| (e, fallback, None);
    let encoding = encoding
        .ok_or(ApiError::UnsupportedMediaType)
        .map_err(fail)?;
    let bytes = read_body(req, body).await.map_err(fail)?;
    let extra = ExtraFields {
        honeypot: state.screen.honeypot_field(),
        captcha: state.screen.captcha_field(),
    };
    let fingerprint = Fingerprint::of(
        match encoding {
            Encoding::Json => "json",
            Encoding::Form => "form",
        },
        &bytes,
    );
    parse_post(form, &bytes, encoding, fallback, extra)
        .map(|(s, c)| (s, c, fingerprint))
        .map_err(|(e, locale)| (e, locale, Some(bytes.clone())))
}

/// Where the error page links back to: the page the form was on, when the browser says so and
/// that page is Courrier's own or one of `site.origins`; otherwise `/`. Any other address would
/// make Courrier's page a link to wherever a hostile page that posted the form chose.
fn back_link(req: &HttpRequest, origins: &[String]) -> String {
    req.headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .filter(|u| {
            let origin = u.origin().ascii_serialization();
            origins.contains(&origin) || is_own(u, req)
        })
        .map_or_else(|| "/".to_owned(), String::from)
}

/// Whether the address is on the host the request was sent to (its `Host`), whichever the
/// scheme: a proxy in front may end TLS. A browser posting from another site cannot set `Host`.
fn is_own(page: &url::Url, req: &HttpRequest) -> bool {
    let Some(host) = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let page_host = match (page.host_str(), page.port()) {
        (Some(h), Some(port)) => format!("{h}:{port}"),
        (Some(h), None) => h.to_owned(),
        (None, _) => return false,
    };
    page_host.eq_ignore_ascii_case(host)
}

/// The thank-you page's address: the reference, the post's language, and the article to go
/// back to when it is a page of the site (`SiteSettings::is_site_page`).
fn thank_you(
    site: &crate::config::SiteSettings,
    reference: &str,
    locale: Locale,
    article: Option<&str>,
) -> String {
    let base = &site.thank_you_url;
    let sep = if base.contains('?') { '&' } else { '?' };
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("reference", reference);
    query.append_pair("lang", locale.as_str());
    if let Some(article) = article.filter(|a| site.is_site_page(a)) {
        query.append_pair("article", article);
    }
    format!("{base}{sep}{}", query.finish())
}

/// A form token: the form sends it back in the `form_token` field.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct FormToken {
    /// The field to send it in.
    #[schema(example = "form_token")]
    pub field: &'static str,
    pub token: String,
    /// The honeypot field the form must include, empty and hidden from people.
    #[schema(example = "website")]
    pub honeypot_field: String,
}

/// A signed token for one form, stamped with the time it was issued. A post that carries it
/// sooner than `antispam.min_seconds` after, or a forged or old one, is quarantined; so is one
/// without it when `antispam.require_token` is set.
#[utoipa::path(get, path = "/v1/forms/{form}/token", tag = "forms",
    params(("form" = FormKind, Path, description = "`newsroom` or `sales`")),
    responses(
        (status = 200, description = "A token for that form", body = FormToken,
            headers(("Cache-Control" = String, description = "no-store"))),
        (status = 404, description = "No such form", body = ErrorBody),
    ))]
pub async fn token(
    form: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let form = FormKind::parse(&form).map_err(|_| ApiError::NotFound)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(FormToken {
            field: TOKEN_FIELD,
            token: state
                .screen
                .issue(form, chrono::Utc::now().timestamp_millis()),
            honeypot_field: state.screen.honeypot_field().to_owned(),
        }))
}
