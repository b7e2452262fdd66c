//! Saved replies: staff read those of their desks, filled in for a submission when asked;
//! admins write them.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{SchemaType, Type};
use utoipa::{IntoParams, ToSchema};

use crate::desk::saved_replies::{
    self, NewSavedReply, SavedReply as Saved, SavedReplyChange, SavedReplyError, TITLE_MAX,
};
use crate::desk::Caller;
use crate::domain::{Desk, Locale};
use crate::http::openapi::{message, one_line, AdminOnly, ErrorBody, Failures, SignedIn};
use crate::http::state::AppState;
use crate::http::ApiError;

impl From<SavedReplyError> for ApiError {
    fn from(e: SavedReplyError) -> Self {
        match e {
            SavedReplyError::Invalid(fields) => ApiError::Validation(fields),
            SavedReplyError::NotFound => ApiError::NotFound,
            SavedReplyError::Forbidden => ApiError::Forbidden,
            SavedReplyError::Db(e) => e.into(),
        }
    }
}

/// A saved reply.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedReply {
    pub id: String,
    pub title: String,
    pub desk: Desk,
    pub locale: Locale,
    /// As written, with its variables; or, when asked for a submission, filled in.
    pub body: String,
}

impl From<Saved> for SavedReply {
    fn from(s: Saved) -> Self {
        SavedReply {
            id: s.id,
            title: s.title,
            desk: s.desk,
            locale: s.locale,
            body: s.body,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SavedReplyList {
    pub saved_replies: Vec<SavedReply>,
}

fn title() -> utoipa::openapi::Object {
    one_line("What staff pick it by", TITLE_MAX).build()
}

const BODY_HELP: &str = "The text. Variables, filled in for a submission when it is inserted: \
    {reference}, {reader_name}, {article_title}, {article_url}, {deadline} (the right of \
    reply's, written for the reader's language) and {staff_name}; a value the submission lacks \
    is filled in as an empty string. Any other {name} is refused (422, unknown_variable)";

fn body() -> utoipa::openapi::Object {
    message(BODY_HELP).build()
}

fn new_title() -> utoipa::openapi::Object {
    one_line("A new title", TITLE_MAX)
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .build()
}

fn new_body() -> utoipa::openapi::Object {
    message(BODY_HELP)
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .build()
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this desk's (among those the caller sees).
    desk: Option<Desk>,
}

/// The saved replies of the caller's desks (an admin's: all), by desk, language and title.
#[utoipa::path(get, path = "/v1/saved-replies", tag = "saved replies", operation_id = "list_saved_replies", security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, description = "The saved replies", body = SavedReplyList),
        (status = 400, description = "A parameter does not parse", body = ErrorBody),
        SignedIn,
    ))]
pub async fn list(
    state: web::Data<AppState>,
    who: Caller,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let found = saved_replies::list(&state.pool, &who, query.desk).await?;
    Ok(HttpResponse::Ok().json(SavedReplyList {
        saved_replies: found.into_iter().map(SavedReply::from).collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OneQuery {
    /// A submission's id or reference: the body comes back filled in for it. An empty
    /// parameter is as good as none.
    #[param(pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$")]
    submission: Option<String>,
}

/// One saved reply, or its text filled in for one submission (`?submission=`). A staff
/// reply's own text is sent as written: only this fills variables in.
#[utoipa::path(get, path = "/v1/saved-replies/{id}", tag = "saved replies", operation_id = "get_saved_reply", security(("bearer" = [])),
    params(("id" = String, Path, description = "The saved reply's id"), OneQuery),
    responses(
        (status = 200, description = "The saved reply, filled in when a submission is given", body = SavedReply),
        (status = 400, description = "A parameter does not parse", body = ErrorBody),
        (status = 404, description = "No such saved reply or submission, or one of a desk the caller does not see", body = ErrorBody),
        SignedIn,
    ))]
pub async fn get(
    state: web::Data<AppState>,
    who: Caller,
    id: web::Path<String>,
    query: web::Query<OneQuery>,
) -> Result<HttpResponse, ApiError> {
    let saved = match query.submission.as_deref().map(str::trim) {
        Some(key) if !key.is_empty() => saved_replies::filled(&state, &who, &id, key).await?,
        _ => saved_replies::get(&state.pool, &who, &id).await?,
    };
    Ok(HttpResponse::Ok().json(SavedReply::from(saved)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSavedReplyBody {
    #[schema(schema_with = title)]
    title: String,
    desk: Desk,
    locale: Locale,
    #[schema(schema_with = body)]
    body: String,
}

/// Writes a saved reply for one desk, in one language. Audited.
#[utoipa::path(post, path = "/v1/saved-replies", tag = "saved replies", operation_id = "create_saved_reply", security(("bearer" = [])),
    request_body = NewSavedReplyBody,
    responses(
        (status = 201, description = "The new saved reply", body = SavedReply),
        (status = 422, description = "A field breaks a rule (an unknown variable, say)", body = ErrorBody),
        Failures, SignedIn, AdminOnly,
    ))]
pub async fn create(
    state: web::Data<AppState>,
    who: Caller,
    body: web::Json<NewSavedReplyBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let saved = saved_replies::create(
        &state.pool,
        &who,
        NewSavedReply {
            title: body.title,
            desk: body.desk,
            locale: body.locale,
            body: body.body,
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(SavedReply::from(saved)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SavedReplyChangeBody {
    #[schema(schema_with = new_title)]
    title: Option<String>,
    desk: Option<Desk>,
    locale: Option<Locale>,
    #[schema(schema_with = new_body)]
    body: Option<String>,
}

/// Changes a saved reply; absent or null fields stay as they are. Audited, before and after.
#[utoipa::path(patch, path = "/v1/saved-replies/{id}", tag = "saved replies", operation_id = "change_saved_reply", security(("bearer" = [])),
    params(("id" = String, Path, description = "The saved reply's id")),
    request_body = SavedReplyChangeBody,
    responses(
        (status = 200, description = "The saved reply as changed", body = SavedReply),
        (status = 404, description = "No such saved reply", body = ErrorBody),
        (status = 422, description = "A field breaks a rule (an unknown variable, say)", body = ErrorBody),
        Failures, SignedIn, AdminOnly,
    ))]
pub async fn change(
    state: web::Data<AppState>,
    who: Caller,
    id: web::Path<String>,
    body: web::Json<SavedReplyChangeBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let saved = saved_replies::change(
        &state.pool,
        &who,
        &id,
        SavedReplyChange {
            title: body.title,
            desk: body.desk,
            locale: body.locale,
            body: body.body,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(SavedReply::from(saved)))
}

/// Deletes a saved reply. Audited, with its last text.
#[utoipa::path(delete, path = "/v1/saved-replies/{id}", tag = "saved replies", operation_id = "delete_saved_reply", security(("bearer" = [])),
    params(("id" = String, Path, description = "The saved reply's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such saved reply", body = ErrorBody),
        SignedIn, AdminOnly,
    ))]
pub async fn delete(
    state: web::Data<AppState>,
    who: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    saved_replies::delete(&state.pool, &who, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
