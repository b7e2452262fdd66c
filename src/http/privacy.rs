//! A reader's data rights over HTTP: the export and the erasure of an address (admins only; a
//! POST, so that the address stays out of URLs and logs), and the marketing opt-out link of
//! commercial e-mails (a confirmation page, and the one-click POST of RFC 8058).

use std::collections::BTreeMap;

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::staff::views::{Detail, Instant};
use super::ApiError;
use crate::desk::privacy::{self, Erasure, Export, PrivacyError};
use crate::desk::Caller;
use crate::domain::i18n::{label, Label};
use crate::http::openapi::{AdminOnly, ErrorBody, Failures, SignedIn};
use crate::http::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    use super::resource;
    cfg.service(resource("/v1/privacy/exports", "POST").route(web::post().to(export)))
        .service(resource("/v1/privacy/erasures", "POST").route(web::post().to(erase)))
        .service(
            resource("/v1/optout/{token}", "GET, POST")
                .route(web::get().to(optout_page))
                .route(web::post().to(optout)),
        );
}

impl From<PrivacyError> for ApiError {
    fn from(e: PrivacyError) -> Self {
        match e {
            PrivacyError::Invalid(fields) => ApiError::Validation(fields),
            PrivacyError::NotFound => ApiError::NotFound,
            PrivacyError::Forbidden => ApiError::Forbidden,
            PrivacyError::Db(e) => e.into(),
        }
    }
}

/// Whose data.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressBody {
    #[schema(schema_with = address_schema)]
    email: String,
}

fn address_schema() -> utoipa::openapi::Object {
    crate::http::openapi::email("The person's e-mail address, in any case").build()
}

/// Everything held that an address sent or received.
#[derive(Serialize, ToSchema)]
pub struct ExportDocument {
    /// The address, folded to lower case.
    pub email: String,
    pub generated_at: Instant,
    /// Whether the notes carry their text (`privacy.export_note_text`); when false, each note
    /// keeps its author and date and its `body` is empty.
    pub notes_text_included: bool,
    /// The submissions this address sent, each with its messages (both ways, inbound mail
    /// included), staff replies, notes, consent record, e-mail deliveries, audit trail and
    /// marketing withdrawal. Others' submissions that mention the address are not included.
    pub submissions: Vec<Detail>,
    /// Mail this address sent that is on none of its submissions: it matched nothing, or it
    /// joined another reader's thread (which is not included).
    pub mail: Vec<SentMail>,
}

/// A message the address sent, as received.
#[derive(Serialize, ToSchema)]
pub struct SentMail {
    pub received_at: Instant,
    /// The sender's address, folded to lower case.
    pub from: String,
    pub to: String,
    pub subject: String,
    /// Its text, quotes included.
    pub text: String,
    /// `[{"name", "type", "size"}]`.
    #[schema(value_type = Vec<Object>)]
    pub attachments: serde_json::Value,
    /// What became of it: `unmatched`, `reply`, `ignored`, ...
    pub outcome: String,
}

impl ExportDocument {
    pub fn new(export: &Export) -> ExportDocument {
        let now = crate::desk::now();
        ExportDocument {
            email: export.email.clone(),
            generated_at: export.generated_at.into(),
            notes_text_included: export.note_text,
            submissions: export
                .submissions
                .iter()
                .map(|r| Detail::new(r, now))
                .collect(),
            mail: export
                .mail
                .iter()
                .map(|m| SentMail {
                    received_at: m.created_at.into(),
                    from: m.sender.clone(),
                    to: m.recipients.clone(),
                    subject: m.subject.clone(),
                    text: m.full_text.clone(),
                    attachments: serde_json::from_str(&m.attachments)
                        .unwrap_or_else(|_| serde_json::json!([])),
                    outcome: m.outcome.clone(),
                })
                .collect(),
        }
    }
}

/// What an erasure removed, and what it left on legal hold.
#[derive(Serialize, ToSchema)]
pub struct ErasureReport {
    /// The address, folded to lower case.
    pub email: String,
    /// Rows removed (or emptied, for audit events and e-mails that only named the address),
    /// per table.
    pub tables: BTreeMap<String, usize>,
    /// E-mails to the address that had not left yet, cancelled.
    pub cancelled_emails: usize,
    /// The references erased; a tombstone without personal data stands for each.
    pub erased: Vec<String>,
    /// The references on legal hold, left alone with everything attached to them.
    pub held: Vec<String>,
    /// The flood limits forgot the address's count (in this instance and in the shared
    /// store); null when the shared store did not answer.
    pub limits_cleared: Option<bool>,
}

impl ErasureReport {
    pub fn new(e: &Erasure) -> ErasureReport {
        ErasureReport {
            email: e.email.clone(),
            tables: e
                .tables
                .iter()
                .map(|(k, v)| ((*k).to_owned(), *v))
                .collect(),
            cancelled_emails: e.cancelled_emails,
            erased: e.erased.clone(),
            held: e.held.clone(),
            limits_cleared: e.limits_cleared,
        }
    }
}

/// Exports everything held that an address sent or received (GDPR Art. 15 and 20). Audited
/// (`privacy_export`, without the address).
#[utoipa::path(post, path = "/v1/privacy/exports", tag = "privacy", operation_id = "export_personal_data", security(("bearer" = [])),
    request_body = AddressBody,
    responses(
        (status = 200, description = "The export", body = ExportDocument),
        (status = 422, description = "Not an e-mail address", body = ErrorBody),
        Failures, SignedIn, AdminOnly,
    ))]
pub async fn export(
    state: web::Data<AppState>,
    who: Caller,
    body: web::Json<AddressBody>,
) -> Result<HttpResponse, ApiError> {
    let export = privacy::export(&state, &who, &body.email).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(ExportDocument::new(&export)))
}

/// Erases an address's personal data from every table (GDPR Art. 17), leaving tombstones, and
/// cancels its pending e-mails; submissions on legal hold are reported and left alone. Audited
/// (`privacy_erasure`, without the address).
#[utoipa::path(post, path = "/v1/privacy/erasures", tag = "privacy", operation_id = "erase_personal_data", security(("bearer" = [])),
    request_body = AddressBody,
    responses(
        (status = 200, description = "What was erased, and what was left on legal hold", body = ErasureReport),
        (status = 422, description = "Not an e-mail address", body = ErrorBody),
        Failures, SignedIn, AdminOnly,
    ))]
pub async fn erase(
    state: web::Data<AppState>,
    who: Caller,
    body: web::Json<AddressBody>,
) -> Result<HttpResponse, ApiError> {
    let erasure = privacy::erase(&state, &who, &body.email).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(ErasureReport::new(&erasure)))
}

#[derive(Template)]
#[template(path = "pages/optout.html")]
struct OptOutPage<'a> {
    lang: &'a str,
    site: &'a str,
    title: &'a str,
    /// The question and the button, or (once withdrawn) the confirmation.
    question: &'a str,
    button: &'a str,
    done: Option<&'a str>,
}

fn optout_html(req: &HttpRequest, state: &AppState, withdrawn: bool) -> HttpResponse {
    let locale = super::request_locale(req.headers());
    let page = OptOutPage {
        lang: locale.as_str(),
        site: &state.settings.site.name,
        title: label(Label::OptOutTitle, locale),
        question: label(Label::OptOutQuestion, locale),
        button: label(Label::OptOutButton, locale),
        done: withdrawn.then(|| label(Label::OptOutDone, locale)),
    };
    match page.render() {
        Ok(body) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header(("cache-control", "no-store"))
            // The token is in the URL: it must not travel on to another site.
            .insert_header(("referrer-policy", "no-referrer"))
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "opt-out page did not render");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// The page of the opt-out link in commercial e-mails: a question and a button (a GET changes
/// nothing, since link scanners follow GETs). French or English, as `Accept-Language` asks.
#[utoipa::path(get, path = "/v1/optout/{token}", tag = "privacy",
    params(("token" = String, Path, description = "The signed token of the e-mail's link")),
    responses(
        (status = 200, description = "The confirmation page", content_type = "text/html", body = String),
        (status = 404, description = "A forged or expired token", body = ErrorBody),
    ))]
pub async fn optout_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let withdrawn = privacy::optout_state(&state, &token).await?;
    Ok(optout_html(&req, &state, withdrawn))
}

/// Withdraws the marketing opt-in: the page's button, and the one-click target of the
/// e-mails' `List-Unsubscribe` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`
/// headers (RFC 8058; its body `List-Unsubscribe=One-Click` is accepted, as is any other).
/// Withdrawing again changes nothing and answers the same page.
#[utoipa::path(post, path = "/v1/optout/{token}", tag = "privacy",
    params(("token" = String, Path, description = "The signed token of the e-mail's link")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "`List-Unsubscribe=One-Click` (RFC 8058), or the page's empty form"),
    responses(
        (status = 200, description = "Withdrawn: the confirmation page", content_type = "text/html", body = String),
        (status = 404, description = "A forged or expired token", body = ErrorBody),
    ))]
pub async fn optout(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    privacy::withdraw_marketing(&state, &token).await?;
    Ok(optout_html(&req, &state, true))
}
