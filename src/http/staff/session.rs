//! Sign-in, sign-out and "who am I".

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::ts;
use crate::auth::StaffUser;
use crate::http::ApiError;
use crate::startup::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    email: String,
    password: String,
}

pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<Credentials>,
) -> Result<HttpResponse, ApiError> {
    let ip = req.peer_addr().map(|a| a.ip());
    let issued = state
        .auth
        .login(&state.pool, &body.email, &body.password, ip)
        .await?;
    let idle = u64::from(state.auth.settings.idle_timeout_minutes) * 60;
    Ok(HttpResponse::Ok().json(json!({
        "token": issued.token,
        "token_type": "Bearer",
        "expires_at": ts(issued.expires_at),
        "idle_timeout_seconds": idle,
        "user": {
            "id": issued.user.id,
            "email": issued.user.email,
            "name": issued.user.display_name,
            "role": issued.user.role,
        },
    })))
}

pub async fn logout(state: web::Data<AppState>, who: StaffUser) -> Result<HttpResponse, ApiError> {
    state.auth.logout(&state.pool, &who.session_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn me(who: StaffUser) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "id": who.id,
        "email": who.email,
        "name": who.display_name,
        "role": who.role.as_str(),
    }))
}
