//! The document itself: every route's annotation gathered (`ApiDoc`), the forms' extra fields
//! added for this deployment, and the two routes that serve it. It names the handlers, so it
//! sits apart from the shared schemas of `openapi/mod.rs`, which the handlers name in turn.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::forms;
use super::{ErrorBody, FieldProblem};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "inbound",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The configured `inbound.token`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "metrics",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The configured `metrics.token`"))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Courrier",
        description = "Reader-contact forms for newsrooms: the two public forms, the staff \
            triage API and the operations endpoints. Errors are JSON of one shape (`ErrorBody`), \
            or a small HTML page when the form was posted as an HTML form.",
    ),
    paths(
        crate::http::public::newsroom,
        crate::http::public::sales,
        crate::http::public::token,
        crate::http::form_info::describe,
        crate::http::pages::demo,
        crate::http::pages::stylesheet,
        crate::http::pages::thank_you,
        crate::http::corrections::page,
        crate::http::corrections::json,
        crate::http::corrections::feed::atom,
        crate::http::corrections::changes::change,
        crate::http::corrections::changes::unpublish,
        crate::http::ops::live,
        crate::http::ops::ready,
        crate::http::ops::metrics,
        openapi_json,
        docs,
        crate::http::staff::session::login,
        crate::http::staff::session::logout,
        crate::http::staff::session::me,
        crate::http::staff::submissions::queues,
        crate::http::staff::list::list,
        crate::http::staff::submissions::detail,
        crate::http::staff::submissions::patch,
        crate::http::staff::submissions::add_note,
        crate::http::staff::submissions::reply,
        crate::http::staff::handover::hand_over,
        crate::http::staff::report::desk,
        crate::http::staff::saved_replies::list,
        crate::http::staff::saved_replies::get,
        crate::http::staff::saved_replies::create,
        crate::http::staff::saved_replies::change,
        crate::http::staff::saved_replies::delete,
        crate::http::staff::accounts::list,
        crate::http::staff::accounts::create,
        crate::http::staff::accounts::change,
        crate::http::staff::accounts::invite,
        crate::http::inbound::mime,
        crate::http::inbound::unmatched,
        crate::http::inbound::raw,
        crate::http::privacy::export,
        crate::http::privacy::erase,
        crate::http::privacy::optout_page,
        crate::http::privacy::optout,
    ),
    components(schemas(ErrorBody, FieldProblem)),
    modifiers(&BearerAuth),
    tags(
        (name = "forms", description = "The reader forms, posted from the site's pages"),
        (name = "pages", description = "The demo article page and the thank-you page"),
        (name = "staff", description = "Staff sign-in"),
        (name = "triage", description = "Queues and submissions"),
        (name = "accounts", description = "Staff accounts, for admins"),
        (name = "saved replies", description = "Texts staff insert into a reply, filled in for a submission; written by admins"),
        (name = "reports", description = "The newsroom's numbers"),
        (name = "corrections", description = "The public record of corrections"),
        (name = "ops", description = "Health and the contract"),
        (name = "inbound", description = "Readers' mail coming in, and what matched nothing"),
        (name = "privacy", description = "Readers' data rights: export, erasure, the marketing opt-out"),
    ),
)]
pub struct ApiDoc;

/// The document for this deployment: the forms' schemas name its honeypot and CAPTCHA fields.
pub fn document(honeypot: &str, captcha: &str) -> String {
    document_with(honeypot, captcha, &[])
}

/// The document, with the consent versions a post may name.
pub fn document_with(honeypot: &str, captcha: &str, consent_versions: &[&str]) -> String {
    let mut api = ApiDoc::openapi();
    forms::add_extra_fields(&mut api, honeypot, captcha);
    forms::add_consent_version(&mut api, consent_versions);
    api.to_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// The API reference for people, rendered from this document.
#[utoipa::path(get, path = "/docs", tag = "ops",
    responses((status = 200, description = "The reference page", content_type = "text/html", body = String)))]
pub async fn docs(state: actix_web::web::Data<crate::http::state::AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(state.docs.clone())
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "ops",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object)))]
pub async fn openapi_json(
    state: actix_web::web::Data<crate::http::state::AppState>,
) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(state.openapi.clone())
}
