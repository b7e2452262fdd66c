//! The demo article page with both forms, and the thank-you page the HTML forms land on.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::domain::i18n::topic_label;
use crate::domain::{FormKind, Locale, Topic};
use crate::http::state::AppState;

#[derive(Template)]
#[template(path = "pages/demo.html")]
struct Demo<'a> {
    site: &'a str,
    /// The consent text of the current version, as stored with each submission.
    consent: &'a str,
    honeypot: &'a str,
    newsroom_token: String,
    sales_token: String,
    newsroom_topics: Vec<(&'static str, &'static str)>,
    sales_topics: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "pages/thank_you.html")]
struct ThankYou<'a> {
    lang: &'static str,
    site: &'a str,
    reference: Option<&'a str>,
    /// Where "back to the article" goes: the article when it is a page of the site, else `/`.
    back: &'a str,
    w: &'static ThankYouWords,
}

/// The thank-you page's sentences, in the post's language.
struct ThankYouWords {
    title: &'static str,
    heading: &'static str,
    reference: &'static str,
    keep: &'static str,
    acknowledged: &'static str,
    back: &'static str,
}

static THANKS_FR: ThankYouWords = ThankYouWords {
    title: "Merci",
    heading: "Merci, votre message a bien été reçu",
    reference: "Votre référence :",
    keep: "Rappelez-la dans vos échanges avec nous.",
    acknowledged: "Un accusé de réception vous a été envoyé par e-mail.",
    back: "Revenir à l’article",
};

static THANKS_EN: ThankYouWords = ThankYouWords {
    title: "Thank you",
    heading: "Thank you, your message has been received",
    reference: "Your reference:",
    keep: "Please quote it when you write to us.",
    acknowledged: "An acknowledgement has been sent to you by e-mail.",
    back: "Back to the article",
};

fn topics(form: FormKind) -> Vec<(&'static str, &'static str)> {
    Topic::for_form(form)
        .iter()
        .map(|t| (t.as_str(), topic_label(*t, Locale::Fr)))
        .collect()
}

fn html(rendered: Result<String, askama::Error>) -> HttpResponse {
    match rendered {
        Ok(body) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "page did not render");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// The pages' only stylesheet, so their Content-Security-Policy needs no inline styles.
#[utoipa::path(get, path = "/assets/courrier.css", tag = "pages",
    responses((status = 200, description = "The stylesheet", content_type = "text/css", body = String)))]
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("cache-control", "public, max-age=3600"))
        .body(include_str!("../../assets/courrier.css"))
}

/// A demo article page with both forms, as a site would embed them.
#[utoipa::path(get, path = "/", tag = "pages",
    responses((status = 200, description = "The page", content_type = "text/html", body = String)))]
pub async fn demo(state: web::Data<AppState>) -> HttpResponse {
    // The page carries fresh tokens: never cached.
    let now_ms = chrono::Utc::now().timestamp_millis();
    html(
        Demo {
            site: &state.settings.site.name,
            consent: state.settings.site.consent_text.get(Locale::Fr),
            honeypot: state.screen.honeypot_field(),
            newsroom_token: state.screen.issue(FormKind::Newsroom, now_ms),
            sales_token: state.screen.issue(FormKind::Sales, now_ms),
            newsroom_topics: topics(FormKind::Newsroom),
            sales_topics: topics(FormKind::Sales),
        }
        .render(),
    )
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ThankYouQuery {
    /// The reference to show; anything not shaped like one is left out.
    reference: Option<String>,
    /// The language of the post (`fr`, the default, or `en`); any other value is French.
    lang: Option<String>,
    /// The article the form was posted from: linked back to when its origin is one of
    /// `site.origins`, otherwise the link goes to `/`.
    article: Option<String>,
}

/// Where an HTML form post lands: thanks, and the reference.
#[utoipa::path(get, path = "/merci", tag = "pages", params(ThankYouQuery),
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 400, description = "A query that does not parse", body = super::openapi::ErrorBody),
    ))]
pub async fn thank_you(
    state: web::Data<AppState>,
    query: web::Query<ThankYouQuery>,
) -> HttpResponse {
    let site = &state.settings.site;
    let locale = query
        .lang
        .as_deref()
        .and_then(|l| Locale::parse(l).ok())
        .unwrap_or(Locale::Fr);
    html(
        ThankYou {
            lang: locale.as_str(),
            site: &site.name,
            // Only something shaped like a reference: the page is the site's, not a billboard.
            reference: query
                .reference
                .as_deref()
                .filter(|r| crate::domain::Reference::is_well_formed(r)),
            back: query
                .article
                .as_deref()
                .filter(|a| site.is_site_page(a))
                .unwrap_or("/"),
            w: match locale {
                Locale::Fr => &THANKS_FR,
                Locale::En => &THANKS_EN,
            },
        }
        .render(),
    )
}
