//! The API's contract, OpenAPI 3.1, generated from the handlers' annotations and the types they
//! read and answer. Served at `GET /openapi.json`.

mod docs;
pub mod document;
mod forms;

pub use docs::page as docs_page;

use serde::Serialize;
use utoipa::openapi::schema::Type;
use utoipa::{IntoResponses, ToSchema};

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
