//! Account administration, for admins only.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::views::{User, UserList};
use crate::desk::accounts::{self, AccountChange, NewAccount};
use crate::desk::Caller;
use crate::domain::Role;
use crate::http::openapi::{AdminOnly, ErrorBody, Failures, SignedIn};
use crate::http::startup::AppState;
use crate::http::ApiError;

/// Every account, active or not.
#[utoipa::path(get, path = "/v1/users", tag = "accounts", operation_id = "list_users", security(("bearer" = [])),
    responses((status = 200, description = "The accounts", body = UserList), SignedIn, AdminOnly))]
pub async fn list(state: web::Data<AppState>, who: Caller) -> Result<HttpResponse, ApiError> {
    let users = accounts::list(&state.pool, &who).await?;
    Ok(HttpResponse::Ok().json(UserList {
        users: users.iter().map(User::from).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    #[schema(schema_with = crate::http::openapi::staff_email)]
    email: String,
    #[schema(schema_with = crate::http::openapi::staff_name)]
    name: String,
    role: Role,
    #[schema(schema_with = crate::http::openapi::password)]
    password: String,
}

/// Opens an account.
#[utoipa::path(post, path = "/v1/users", tag = "accounts", operation_id = "create_user", security(("bearer" = [])),
    request_body = CreateBody,
    responses(
        (status = 201, description = "The new account", body = User),
        (status = 409, description = "An account already has this e-mail address", body = ErrorBody),
        (status = 422, description = "A field breaks a rule (e.g. the password's length)", body = ErrorBody),
        Failures, SignedIn, AdminOnly,
    ))]
pub async fn create(
    state: web::Data<AppState>,
    who: Caller,
    body: web::Json<CreateBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let user = accounts::create(
        &state.pool,
        &state.auth.hasher,
        NewAccount {
            email: body.email,
            name: body.name,
            role: body.role,
            password: body.password,
        },
        &who,
    )
    .await?;
    Ok(HttpResponse::Created().json(User::from(&user)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeBody {
    #[schema(schema_with = crate::http::openapi::new_staff_name)]
    name: Option<String>,
    role: Option<Role>,
    /// `false` disables the account and ends its sessions.
    active: Option<bool>,
    #[schema(schema_with = crate::http::openapi::new_password)]
    password: Option<String>,
}

/// Renames, changes the role, disables or re-enables an account, or sets its password. Role
/// changes, disabling and new passwords end the account's sessions.
#[utoipa::path(patch, path = "/v1/users/{id}", tag = "accounts", operation_id = "change_user", security(("bearer" = [])),
    params(("id" = String, Path, description = "The account's id")),
    request_body = ChangeBody,
    responses(
        (status = 200, description = "The account as changed", body = User),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 422, description = "A field breaks a rule", body = ErrorBody),
        Failures, SignedIn, AdminOnly,
    ))]
pub async fn change(
    state: web::Data<AppState>,
    who: Caller,
    id: web::Path<String>,
    body: web::Json<ChangeBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let user = accounts::change(
        &state.pool,
        &state.auth.hasher,
        &id,
        AccountChange {
            name: body.name,
            role: body.role,
            active: body.active,
            password: body.password,
        },
        &who,
    )
    .await?;
    Ok(HttpResponse::Ok().json(User::from(&user)))
}
