//! Account administration, for admins only.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{require_admin, ts};
use crate::accounts::{self, AccountChange, NewAccount};
use crate::auth::StaffUser;
use crate::db;
use crate::db::staff::{list_users, UserRow};
use crate::domain::Role;
use crate::http::ApiError;
use crate::startup::AppState;

pub fn user_json(u: &UserRow) -> Value {
    json!({
        "id": u.id,
        "email": u.email,
        "name": u.display_name,
        "role": u.role,
        "active": u.active,
        "created_at": ts(u.created_at),
        "updated_at": ts(u.updated_at),
    })
}

pub async fn list(state: web::Data<AppState>, who: StaffUser) -> Result<HttpResponse, ApiError> {
    require_admin(&who)?;
    let users = db::run(&state.pool, list_users).await?;
    Ok(
        HttpResponse::Ok()
            .json(json!({ "users": users.iter().map(user_json).collect::<Vec<_>>() })),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    email: String,
    name: String,
    role: Role,
    password: String,
}

pub async fn create(
    state: web::Data<AppState>,
    who: StaffUser,
    body: web::Json<CreateBody>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&who)?;
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
        &who.id,
    )
    .await?;
    Ok(HttpResponse::Created().json(user_json(&user)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeBody {
    name: Option<String>,
    role: Option<Role>,
    active: Option<bool>,
    password: Option<String>,
}

pub async fn change(
    state: web::Data<AppState>,
    who: StaffUser,
    id: web::Path<String>,
    body: web::Json<ChangeBody>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&who)?;
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
        &who.id,
    )
    .await?;
    Ok(HttpResponse::Ok().json(user_json(&user)))
}
