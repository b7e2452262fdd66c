//! Sign-in, sign-out and "who am I".

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::views::{Me, Session};
use crate::desk::Caller;
use crate::http::openapi::{Failures, SignedIn};
use crate::http::state::AppState;
use crate::http::ApiError;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    email: String,
    password: String,
}

/// Signs in: a bearer token for the other staff routes.
#[utoipa::path(post, path = "/v1/auth/login", tag = "staff",
    request_body = Credentials,
    responses(
        (status = 200, description = "Signed in", body = Session),
        (status = 401, description = "Wrong e-mail or password, or a disabled account: one answer for all",
            body = crate::http::openapi::ErrorBody,
            headers(("WWW-Authenticate" = String, description = "Bearer"))),
        (status = 429, description = "Too many attempts from this address or for this account",
            body = crate::http::openapi::ErrorBody,
            headers(("Retry-After" = String, description = "Seconds to wait"))),
        Failures,
    ))]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<Credentials>,
) -> Result<HttpResponse, ApiError> {
    let ip = crate::http::client_ip::client_ip(&req, &state.trusted_proxies);
    let issued = state
        .auth
        .login(&state.pool, &body.email, &body.password, ip)
        .await?;
    let user = &issued.user;
    let role = user.role;
    Ok(HttpResponse::Ok().json(Session {
        token: issued.token,
        token_type: "Bearer",
        expires_at: issued.expires_at.into(),
        idle_timeout_seconds: u64::from(state.auth.settings.idle_timeout_minutes) * 60,
        user: Me {
            id: user.id.clone(),
            email: user.email.clone(),
            name: user.display_name.clone(),
            role,
        },
    }))
}

/// Ends the session whose token is sent.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "staff", security(("bearer" = [])),
    responses((status = 204, description = "Signed out"), SignedIn))]
pub async fn logout(state: web::Data<AppState>, who: Caller) -> Result<HttpResponse, ApiError> {
    state.auth.logout(&state.pool, &who.session_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in account.
#[utoipa::path(get, path = "/v1/auth/me", tag = "staff", security(("bearer" = [])),
    responses((status = 200, description = "Who is signed in", body = Me), SignedIn))]
pub async fn me(who: Caller) -> HttpResponse {
    HttpResponse::Ok().json(Me {
        id: who.id,
        email: who.email,
        name: who.display_name,
        role: who.role,
    })
}
