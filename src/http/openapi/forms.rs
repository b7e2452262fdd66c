//! The two reader forms' bodies, described field by field with the very rules the domain types
//! apply (lengths, characters, choices), so that a client built from the document sends what the
//! service accepts.

use serde::Serialize;
use utoipa::openapi::schema::{
    AdditionalProperties, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat,
    SchemaType, Type,
};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use crate::domain::{
    ArticleUrl, FormKind, MessageBody, Phone, ReaderEmail, Topic, ARTICLE_TITLE_MAX, NAME_MAX,
    ORGANISATION_MAX, SUBJECT_MAX,
};
use crate::domain::{CHECKED, UNCHECKED};

/// White space as Rust's `str::trim` sees it: what the fields may carry around their value.
const WS: &str = "\\t\\n\\u000b\\u000c\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
/// Control characters and the Unicode line separators: never inside a one-line field.
const CTRL: &str = "\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029";
/// What a message may not hold: the controls other than tab and line breaks.
const MSG_CTRL: &str = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f";

/// A one-line field: something visible, no control character inside, white space around.
fn one_line_pattern() -> String {
    format!("^[{WS}]*[^{CTRL}{WS}]([^{CTRL}]*[^{CTRL}{WS}])?[{WS}]*$")
}

fn text(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

/// How the body is encoded: JSON has null and booleans; an HTML form has only text.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Body {
    Json,
    Html,
}

/// A value of `of`'s type, or null.
pub fn or_null(b: ObjectBuilder, of: Type) -> ObjectBuilder {
    b.schema_type([of, Type::Null].into_iter().collect::<SchemaType>())
}

/// An optional text: in JSON it may also be null.
fn optional(b: ObjectBuilder, body: Body) -> ObjectBuilder {
    match body {
        Body::Json => or_null(b, Type::String),
        Body::Html => b,
    }
}

/// A required one-line field: at most `max` characters as sent, something visible, no control
/// character inside.
pub fn one_line(description: &str, max: usize) -> ObjectBuilder {
    text(description)
        .pattern(Some(one_line_pattern()))
        .max_length(Some(max))
}

/// An optional one-line field of a JSON body: absent, null, blank or a one-line value.
pub fn optional_json_line(description: &str, max: usize) -> ObjectBuilder {
    optional_line(description, max, Body::Json)
}

/// An optional one-line field: absent, blank (or null in JSON), or a one-line value.
fn optional_line(description: &str, max: usize, body: Body) -> ObjectBuilder {
    optional(text(description), body)
        .pattern(Some(format!("^[{WS}]*$|{}", one_line_pattern())))
        .max_length(Some(max))
}

/// An e-mail address.
pub fn email(description: &str) -> ObjectBuilder {
    text(description)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
        .max_length(Some(ReaderEmail::MAX_CHARS))
}

fn topic(form: FormKind) -> ObjectBuilder {
    text("What the reader writes about; it decides the queue")
        .enum_values(Some(Topic::for_form(form).iter().map(|t| t.as_str())))
}

/// A message: something visible, no control character but tab and line breaks.
pub fn message(description: &str) -> ObjectBuilder {
    text(description)
        .pattern(Some(format!(
            "^[^{MSG_CTRL}]*[^{MSG_CTRL}{WS}][^{MSG_CTRL}]*$"
        )))
        .max_length(Some(MessageBody::MAX_CHARS))
}

fn phone(body: Body) -> ObjectBuilder {
    optional(
        text("Digits and + - ( ) . or spaces, 4 to 20 digits; blank for none"),
        body,
    )
    .pattern(Some(format!(
        "^[{WS}]*$|^[{WS}]*[ +().-]*([0-9][ +().-]*){{4,20}}[{WS}]*$"
    )))
    .max_length(Some(Phone::MAX_CHARS))
}

fn article_url(body: Body) -> ObjectBuilder {
    // The last label starts with a letter: a host ending in a number is read as an IPv4 address.
    let label = "[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?";
    let last = "[A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?";
    optional(
        text("The article page the form was on: an absolute http(s) address"),
        body,
    )
    .pattern(Some(format!(
        "^[{WS}]*$|^[{WS}]*[hH][tT][tT][pP][sS]?://({label}\\.)*{last}([/?#][^{CTRL}{WS}]*)?[{WS}]*$"
    )))
    .max_length(Some(ArticleUrl::MAX_CHARS))
}

/// The article's publication date: a full date, blank (or, in JSON, null) for none.
fn publication_date(body: Body) -> RefOr<Schema> {
    let description = "When the article was published, `YYYY-MM-DD` (the site fills it in); a \
        right of reply asked for over three months later is flagged `out_of_time`";
    let date = text(description)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .max_length(Some(10));
    let blank = optional(text("None"), body)
        .pattern(Some(format!("^[{WS}]*$")))
        .max_length(Some(10));
    utoipa::openapi::schema::AnyOfBuilder::new()
        .item(date)
        .item(blank)
        .description(Some(description))
        .into()
}

fn locale(body: Body) -> ObjectBuilder {
    optional(
        text("The reader's language, `fr` or `en`; otherwise the browser's, or French"),
        body,
    )
    .pattern(Some(format!("^[{WS}]*((fr|en)[{WS}]*)?$")))
}

/// The consent box, which must be ticked: JSON `true`, or a ticked box's text.
fn consent(body: Body) -> RefOr<Schema> {
    let description = "The reader agrees to the processing of the message; required";
    let as_text = text(description).pattern(Some(box_pattern(CHECKED)));
    match body {
        Body::Json => OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Boolean)
                    .enum_values(Some([true])),
            )
            .item(as_text)
            .description(Some(description))
            .into(),
        Body::Html => as_text.into(),
    }
}

/// An optional box: ticked or not, as a boolean (or null) in JSON, or as text.
fn checkbox(description: &str, body: Body) -> ObjectBuilder {
    let values: Vec<&str> = CHECKED.iter().chain(UNCHECKED).copied().collect();
    match body {
        Body::Json => ObjectBuilder::new().schema_type(
            [Type::Boolean, Type::Null, Type::String]
                .into_iter()
                .collect::<SchemaType>(),
        ),
        Body::Html => ObjectBuilder::new().schema_type(Type::String),
    }
    .pattern(Some(box_pattern(&values)))
    .description(Some(description))
}

/// The text a box may send: one of `values` in any case (ASCII, as the decoder compares), with
/// white space around. (A pattern applies to strings only, so JSON booleans pass it.)
fn box_pattern(values: &[&str]) -> String {
    let any_case = |v: &str| -> String {
        v.chars()
            .map(|c| {
                if c.is_ascii_alphabetic() {
                    format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
                } else {
                    c.to_string()
                }
            })
            .collect()
    };
    let (empty, words): (Vec<&str>, Vec<&str>) = values.iter().partition(|v| v.is_empty());
    let words: Vec<String> = words.into_iter().map(any_case).collect();
    let optional = if empty.is_empty() { "" } else { "?" };
    format!("^[{WS}]*({}){optional}[{WS}]*$", words.join("|"))
}

fn closed(b: ObjectBuilder) -> RefOr<Schema> {
    b.additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
        .into()
}

/// A form's schema: the reader, the form's own fields, then the message and what both forms
/// share.
fn form(
    kind: FormKind,
    description: &str,
    body: Body,
    own: impl FnOnce(ObjectBuilder) -> ObjectBuilder,
) -> RefOr<Schema> {
    let reader = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description))
        .property("name", one_line("The reader's name", NAME_MAX))
        .required("name")
        .property(
            "email",
            email("The reader's address; the acknowledgement goes there"),
        )
        .required("email")
        .property("topic", topic(kind))
        .required("topic");
    closed(
        own(reader)
            .property("message", message("The message, kept exactly as sent"))
            .required("message")
            .property("phone", phone(body))
            .property("article_url", article_url(body))
            .property("consent", consent(body))
            .required("consent")
            .property("locale", locale(body)),
    )
}

fn newsroom(body: Body) -> RefOr<Schema> {
    form(
        FormKind::Newsroom,
        "A tip, correction request, right of reply or feedback for the newsroom",
        body,
        |b| {
            b.property(
                "subject",
                optional_line("A subject line", SUBJECT_MAX, body),
            )
            .property(
                "article_title",
                optional_line("The article's title", ARTICLE_TITLE_MAX, body),
            )
            .property("article_published_at", publication_date(body))
        },
    )
}

fn sales(body: Body) -> RefOr<Schema> {
    form(
        FormKind::Sales,
        "An advertising, subscription, partnership or licensing enquiry",
        body,
        |b| {
            b.property(
                "organisation",
                one_line("The reader's organisation", ORGANISATION_MAX),
            )
            .required("organisation")
            .property(
                "marketing_opt_in",
                checkbox("The reader wants the commercial newsletter", body),
            )
        },
    )
}

macro_rules! form_schema {
    ($(#[$m:meta])* $name:ident, $build:ident, $body:expr) => {
        $(#[$m])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $build($body)
            }
        }

        impl ToSchema for $name {}
    };
}

form_schema!(
    /// The "contact the newsroom" form, as JSON.
    NewsroomForm, newsroom, Body::Json
);
form_schema!(
    /// The "contact the newsroom" form, as an HTML form posts it.
    NewsroomHtmlForm, newsroom, Body::Html
);
form_schema!(
    /// The "contact sales" form, as JSON.
    SalesForm, sales, Body::Json
);
form_schema!(
    /// The "contact sales" form, as an HTML form posts it.
    SalesHtmlForm, sales, Body::Html
);

/// The answer to a JSON post.
#[derive(Debug, Serialize, ToSchema)]
pub struct Received {
    /// Quote it in any follow-up; it is also in the acknowledgement.
    #[schema(example = "NR-2026-4K7Q9")]
    pub reference: String,
    #[schema(example = "received")]
    pub status: &'static str,
    /// A thank-you in the reader's language.
    pub message: String,
}

/// Adds the fields a post may carry besides the form's own to the four form schemas: the
/// honeypot (named by configuration), the form token and the CAPTCHA response. Any text (or, in
/// JSON, null) is accepted: what they say decides quarantine, never the answer. Another JSON
/// type is a malformed body (400), like a number in any other text field.
pub fn add_extra_fields(api: &mut utoipa::openapi::OpenApi, honeypot: &str, captcha: &str) {
    let Some(components) = api.components.as_mut() else {
        return;
    };
    let extras = [
        (
            honeypot,
            "Leave empty and hide from people: a value marks the post as suspected spam",
        ),
        (
            crate::domain::TOKEN_FIELD,
            "The token `GET /v1/forms/{form}/token` issued for this form",
        ),
        (
            captcha,
            "The CAPTCHA widget's response, when the site uses one",
        ),
    ];
    for (name, body) in [
        ("NewsroomForm", Body::Json),
        ("NewsroomHtmlForm", Body::Html),
        ("SalesForm", Body::Json),
        ("SalesHtmlForm", Body::Html),
    ] {
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) {
            for (field, description) in extras {
                object.properties.insert(
                    field.to_owned(),
                    optional(text(description), body).build().into(),
                );
            }
        }
    }
}

/// Adds `consent_version` to the four form schemas: one of the versions configuration knows
/// (any other is a 422), or, in JSON, null for the current one.
pub fn add_consent_version(api: &mut utoipa::openapi::OpenApi, versions: &[&str]) {
    let Some(components) = api.components.as_mut() else {
        return;
    };
    let description = "The consent text's version the page showed (`GET /v1/forms/{form}`); \
        the current one when absent";
    for (name, body) in [
        ("NewsroomForm", Body::Json),
        ("NewsroomHtmlForm", Body::Html),
        ("SalesForm", Body::Json),
        ("SalesHtmlForm", Body::Html),
    ] {
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) {
            let mut values: Vec<serde_json::Value> =
                versions.iter().map(|v| serde_json::json!(v)).collect();
            if body == Body::Json {
                values.push(serde_json::Value::Null);
            }
            object.properties.insert(
                "consent_version".to_owned(),
                optional(text(description), body)
                    .enum_values(Some(values))
                    .build()
                    .into(),
            );
        }
    }
}
