//! The API's contract, OpenAPI 3.1, generated from the handlers' annotations and the types they
//! read and answer. Served at `GET /openapi.json`.

mod docs;
mod forms;

pub use docs::page as docs_page;

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::openapi::schema::Type;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

pub use forms::{
    email, message, one_line, NewsroomForm, NewsroomHtmlForm, Received, SalesForm, SalesHtmlForm,
};

/// Every error answer in JSON.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable code for programs, e.g. `validation_failed`, `not_found`.
    pub error: String,
    /// The same in words, in the language `Accept-Language` asks for (French or English;
    /// French by default), or on the forms in the body's `locale`.
    pub message: String,
    /// On 422: each failing field and every rule it breaks.
    #[schema(required = false)]
    pub fields: Option<std::collections::BTreeMap<String, Vec<FieldProblem>>>,
    /// On 409 for a refused move: the allowed moves from the current status.
    #[schema(required = false)]
    pub allowed: Option<Vec<crate::domain::Status>>,
    /// On 409 for a stale `version`: the current one.
    #[schema(required = false)]
    pub current_version: Option<i32>,
    /// On 409 `thread_changed` (a reply not sent): the thread's items its author had not seen,
    /// oldest first, as the detail's `messages` shows them.
    #[schema(required = false)]
    pub items: Option<Vec<crate::http::staff::thread::Message>>,
}

/// One broken rule of one field.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    pub code: String,
    pub message: String,
}

/// Failures any route that reads a body can answer.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum Failures {
    /// The body is not the declared format, or has unknown or mistyped fields.
    #[response(status = 400)]
    Malformed(ErrorBody),
    /// The body did not all arrive within `http.body_timeout_ms`.
    #[response(status = 408)]
    Timeout(ErrorBody),
    /// The body is larger than 64 KiB.
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// The body is not JSON (or, on the forms, a URL-encoded form) in UTF-8.
    #[response(status = 415)]
    UnsupportedMediaType(ErrorBody),
}

/// Failures of every route that needs a signed-in staff member.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum SignedIn {
    /// No token, or a session that has ended.
    #[response(status = 401, headers(("WWW-Authenticate" = String, description = "Bearer")))]
    Unauthorized(ErrorBody),
    /// The database cannot be reached; try again.
    #[response(status = 503, headers(("Retry-After" = String, description = "Seconds to wait")))]
    Unavailable(ErrorBody),
}

/// Refusal of the admin-only routes.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum AdminOnly {
    /// The caller is not an admin.
    #[response(status = 403)]
    Forbidden(ErrorBody),
}

/// `from` and `to`: a date or an RFC 3339 time (or empty).
pub fn instant_param() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
    let format = |f| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(f)))
    };
    OneOfBuilder::new()
        .item(format(KnownFormat::Date))
        .item(format(KnownFormat::DateTime))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(0)),
        )
        .build()
        .into()
}

pub fn sort_param() -> utoipa::openapi::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["newest", "deadline", "activity", ""]))
        .build()
}

pub fn view_param() -> utoipa::openapi::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["todo", "mine", "unassigned", "all", ""]))
        .build()
}

pub fn note_body() -> utoipa::openapi::Object {
    message("The note, for staff only").build()
}

pub fn reply_body() -> utoipa::openapi::Object {
    message("The reply, as the reader will read it").build()
}

pub fn reply_subject() -> utoipa::openapi::Object {
    forms::optional_json_line(
        "The subject; the reader's own, or the acknowledgement's, when absent or blank",
        200,
    )
    .build()
}

pub fn staff_email() -> utoipa::openapi::Object {
    email("The address the account signs in with").build()
}

pub fn staff_name() -> utoipa::openapi::Object {
    one_line("The name shown to colleagues", 200).build()
}

pub fn new_staff_name() -> utoipa::openapi::Object {
    forms::or_null(one_line("A new name", 200), Type::String).build()
}

fn password_schema(description: &str) -> utoipa::openapi::schema::ObjectBuilder {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .min_length(Some(crate::domain::Password::MIN))
        .max_length(Some(crate::domain::Password::MAX))
        .description(Some(description))
}

pub fn password() -> utoipa::openapi::Object {
    password_schema("12 to 128 characters").build()
}

pub fn new_password() -> utoipa::openapi::Object {
    forms::or_null(
        password_schema("A new password, 12 to 128 characters; ends the account's sessions"),
        Type::String,
    )
    .build()
}

/// The password a new account may be opened with; without it, an invitation is sent.
pub fn first_password() -> utoipa::openapi::Object {
    forms::or_null(
        password_schema(
            "12 to 128 characters; omitted or null, the account is e-mailed an invitation \
             (a single-use link, valid 72 hours) to choose its own",
        ),
        Type::String,
    )
    .build()
}

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
        super::public::newsroom,
        super::public::sales,
        super::public::token,
        super::form_info::describe,
        super::pages::demo,
        super::pages::stylesheet,
        super::pages::thank_you,
        super::corrections::page,
        super::corrections::json,
        super::corrections::feed::atom,
        super::corrections::changes::change,
        super::corrections::changes::unpublish,
        super::ops::live,
        super::ops::ready,
        super::ops::metrics,
        openapi_json,
        docs,
        super::staff::session::login,
        super::staff::session::logout,
        super::staff::session::me,
        super::staff::submissions::queues,
        super::staff::list::list,
        super::staff::submissions::detail,
        super::staff::submissions::patch,
        super::staff::submissions::add_note,
        super::staff::submissions::reply,
        super::staff::handover::hand_over,
        super::staff::report::desk,
        super::staff::saved_replies::list,
        super::staff::saved_replies::get,
        super::staff::saved_replies::create,
        super::staff::saved_replies::change,
        super::staff::saved_replies::delete,
        super::staff::accounts::list,
        super::staff::accounts::create,
        super::staff::accounts::change,
        super::staff::accounts::invite,
        super::inbound::mime,
        super::inbound::unmatched,
        super::inbound::raw,
        super::privacy::export,
        super::privacy::erase,
        super::privacy::optout_page,
        super::privacy::optout,
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
pub async fn docs(state: actix_web::web::Data<crate::http::startup::AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(state.docs.clone())
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "ops",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object)))]
pub async fn openapi_json(
    state: actix_web::web::Data<crate::http::startup::AppState>,
) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(state.openapi.clone())
}
