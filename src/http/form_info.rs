//! `GET /v1/forms/{form}`: what a form is made of, so the site renders exactly what Courrier
//! stores: its fields, its topics, their labels in each language, and the consent text shown
//! now with its version.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::config::consent::sha256_hex;
use crate::domain::i18n::{label, topic_label, Label};
use crate::domain::{FormKind, Locale, Topic};
use crate::http::openapi::ErrorBody;
use crate::http::state::AppState;

/// A text in each language.
#[derive(Debug, Serialize, ToSchema)]
pub struct Labels {
    pub fr: String,
    pub en: String,
}

fn labels(of: impl Fn(Locale) -> String) -> Labels {
    Labels {
        fr: of(Locale::Fr),
        en: of(Locale::En),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldInfo {
    pub name: &'static str,
    pub required: bool,
    pub labels: Labels,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TopicInfo {
    #[schema(value_type = Topic)]
    pub value: &'static str,
    pub labels: Labels,
}

/// The consent the form shows now: send `version` back as `consent_version`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentInfo {
    pub version: String,
    pub text: Labels,
    /// The SHA-256 (hex) of each text, as stored with each submission.
    pub sha256: Labels,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FormInfo {
    #[schema(value_type = FormKind)]
    pub form: &'static str,
    pub fields: Vec<FieldInfo>,
    pub topics: Vec<TopicInfo>,
    pub consent: ConsentInfo,
}

fn field(name: &'static str, required: bool, l: Option<Label>) -> FieldInfo {
    let own = |fr: &str, en: &str| labels(|loc| if loc == Locale::Fr { fr } else { en }.to_owned());
    FieldInfo {
        name,
        required,
        labels: match (l, name) {
            (Some(l), _) => labels(|loc| label(l, loc).to_owned()),
            (None, "article_published_at") => own(
                "Date de publication de l’article",
                "Article's publication date",
            ),
            (None, "locale") => own("Langue", "Language"),
            _ => own("Version du texte de consentement", "Consent text version"),
        },
    }
}

fn fields(form: FormKind) -> Vec<FieldInfo> {
    let mut all = vec![
        field("name", true, Some(Label::Name)),
        field("email", true, Some(Label::Email)),
        field("topic", true, Some(Label::Topic)),
    ];
    match form {
        FormKind::Newsroom => all.push(field("subject", false, Some(Label::Subject))),
        FormKind::Sales => all.push(field("organisation", true, Some(Label::Organisation))),
    }
    all.extend([
        field("message", true, Some(Label::Message)),
        field("phone", false, Some(Label::Phone)),
        field("article_url", false, Some(Label::ArticleUrl)),
    ]);
    match form {
        FormKind::Newsroom => all.extend([
            field("article_title", false, Some(Label::ArticleTitle)),
            field("article_published_at", false, None),
        ]),
        FormKind::Sales => all.push(field(
            "marketing_opt_in",
            false,
            Some(Label::MarketingOptIn),
        )),
    }
    all.extend([
        field("consent", true, Some(Label::ConsentBox)),
        field("consent_version", false, None),
        field("locale", false, None),
    ]);
    all
}

/// What a form is made of, in both languages, with the consent text it shows now.
#[utoipa::path(get, path = "/v1/forms/{form}", tag = "forms", operation_id = "describe_form",
    params(("form" = FormKind, Path, description = "`newsroom` or `sales`")),
    responses(
        (status = 200, description = "The form", body = FormInfo),
        (status = 404, description = "No such form", body = ErrorBody),
    ))]
pub async fn describe(state: web::Data<AppState>, form: FormKind) -> HttpResponse {
    let site = &state.settings.site;
    HttpResponse::Ok().json(FormInfo {
        form: form.as_str(),
        fields: fields(form),
        topics: Topic::for_form(form)
            .iter()
            .map(|t| TopicInfo {
                value: t.as_str(),
                labels: labels(|loc| topic_label(*t, loc).to_owned()),
            })
            .collect(),
        consent: ConsentInfo {
            version: site.consent_version.clone(),
            text: labels(|loc| site.consent_text.get(loc).to_owned()),
            sha256: labels(|loc| sha256_hex(site.consent_text.get(loc))),
        },
    })
}

pub async fn newsroom(state: web::Data<AppState>) -> HttpResponse {
    describe(state, FormKind::Newsroom).await
}

pub async fn sales(state: web::Data<AppState>) -> HttpResponse {
    describe(state, FormKind::Sales).await
}
