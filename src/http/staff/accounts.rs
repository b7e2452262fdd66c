//! Account administration, for admins only.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::views::{InvitationSent, NewUser, User, UserList};
use crate::desk::accounts::{self, AccountChange};
use crate::desk::invitations::{self, Opening};
use crate::desk::Caller;
use crate::domain::Role;
use crate::http::openapi::{AdminOnly, ErrorBody, Failures, SignedIn};
use crate::http::state::AppState;
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
    #[schema(schema_with = crate::http::openapi::first_password)]
    password: Option<String>,
}

/// Opens an account. Without `password`, an invitation is e-mailed to the account (a
/// single-use link to set its password, valid 72 hours); until it is used the account cannot
/// sign in.
#[utoipa::path(post, path = "/v1/users", tag = "accounts", operation_id = "create_user", security(("bearer" = [])),
    request_body = CreateBody,
    responses(
        (status = 201, description = "The new account, and when its invitation's link expires (null when opened with a password)", body = NewUser),
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
    let opened = invitations::open(
        &state,
        Opening {
            email: body.email,
            name: body.name,
            role: body.role,
            password: body.password,
        },
        &who,
    )
    .await?;
    Ok(HttpResponse::Created().json(NewUser {
        user: User::from(&opened.account),
        invitation_expires_at: opened.invitation_expires_at.map(Into::into),
    }))
}

/// Sends the account a new invitation: a single-use link, valid 72 hours, to choose its
/// password. The previous link stops working, and so do the account's password and sessions
/// until the new link is used.
#[utoipa::path(post, path = "/v1/users/{id}/invitation", tag = "accounts", operation_id = "invite_user", security(("bearer" = [])),
    params(("id" = String, Path, description = "The account's id")),
    responses(
        (status = 201, description = "The invitation is queued for sending", body = InvitationSent),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 409, description = "The account is disabled (`account_disabled`)", body = ErrorBody),
        Failures, SignedIn, AdminOnly,
    ))]
pub async fn invite(
    state: web::Data<AppState>,
    who: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let sent = crate::desk::invitations::invite(&state, &id, &who).await?;
    Ok(HttpResponse::Created().json(InvitationSent {
        user: User::from(&sent.account),
        expires_at: sent.expires_at.into(),
    }))
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
        (status = 422, description = "A field breaks a rule, or an admin disables their own account (`cannot_disable_self`)", body = ErrorBody),
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
