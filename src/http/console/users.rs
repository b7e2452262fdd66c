//! `/staff/users`: the accounts, for admins only (403 for anyone else): create one, change its
//! role, disable it or set its password. Each change that touches credentials ends the
//! account's sessions (the use case does it).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::error::answer;
use super::{language, page, see_other, words, ConsoleError, ConsoleUser, Frame};
use crate::desk::accounts::{self, AccountChange, AccountError, NewAccount};
use crate::domain::{Locale, Msg, Role};
use crate::http::startup::AppState;

pub struct Account {
    id: String,
    email: String,
    name: String,
    role: &'static str,
    role_code: &'static str,
    active: bool,
}

#[derive(Template)]
#[template(path = "console/users.html")]
struct Users {
    f: Frame,
    csrf: String,
    accounts: Vec<Account>,
    roles: Vec<(&'static str, &'static str)>,
    /// Which form the errors belong to (`new` or an account's id), and field → message.
    target: String,
    errors: HashMap<&'static str, String>,
    typed_email: String,
    typed_name: String,
}

impl Users {
    fn error(&self, target: &str, field: &str) -> Option<&String> {
        (self.target == target)
            .then(|| self.errors.get(field))
            .flatten()
    }
}

#[derive(Deserialize)]
pub struct UsersQuery {
    done: Option<String>,
}

#[derive(Default)]
struct Typed {
    target: String,
    errors: HashMap<&'static str, String>,
    email: String,
    name: String,
}

impl Typed {
    /// The form `target` again, with one error on `field`.
    fn one_error(target: &str, field: &'static str, message: String) -> Typed {
        Typed {
            target: target.to_owned(),
            errors: HashMap::from([(field, message)]),
            ..Typed::default()
        }
    }
}

/// The page again with what was typed and why it was refused: `422`.
async fn again(
    req: &HttpRequest,
    state: &AppState,
    who: &ConsoleUser,
    typed: Typed,
) -> Result<HttpResponse, ConsoleError> {
    render(
        req,
        state,
        who,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        typed,
    )
    .await
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    who: &ConsoleUser,
    status: StatusCode,
    flash: Option<String>,
    typed: Typed,
) -> Result<HttpResponse, ConsoleError> {
    let locale = language(req, who.user.locale);
    let w = words::words(locale);
    let accounts = accounts::list(&state.pool, &who.user)
        .await?
        .into_iter()
        .map(|u| Account {
            role: words::role(u.role, locale),
            role_code: u.role.as_str(),
            id: u.id,
            email: u.email,
            name: u.display_name,
            active: u.active,
        })
        .collect();
    page(
        status,
        Users {
            f: who.frame(req, w.accounts, flash),
            csrf: who.csrf.clone(),
            accounts,
            roles: Role::ALL
                .iter()
                .map(|r| (r.as_str(), words::role(*r, locale)))
                .collect(),
            target: typed.target,
            errors: typed.errors,
            typed_email: typed.email,
            typed_name: typed.name,
        }
        .render(),
    )
}

pub async fn page_view(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: ConsoleUser,
    query: web::Query<UsersQuery>,
) -> HttpResponse {
    let locale = language(&req, who.user.locale);
    let flash = query
        .done
        .is_some()
        .then(|| words::words(locale).account_saved.to_owned());
    let result =
        async { render(&req, &state, &who, StatusCode::OK, flash, Typed::default()).await }.await;
    answer(locale, result)
}

fn refused(e: AccountError, locale: Locale, target: &str) -> Result<Typed, ConsoleError> {
    let mut typed = Typed {
        target: target.to_owned(),
        ..Typed::default()
    };
    match e {
        AccountError::Invalid(fields) => {
            for (field, list) in fields {
                if let Some(first) = list.first() {
                    typed.errors.insert(field, first.msg.text(locale));
                }
            }
        }
        AccountError::EmailTaken => {
            typed.errors.insert("email", Msg::EmailTaken.text(locale));
        }
        other => return Err(other.into()),
    }
    Ok(typed)
}

/// `POST /staff/users`: `email`, `name`, `role`, `password`.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: ConsoleUser,
    body: web::Bytes,
) -> HttpResponse {
    let locale = language(&req, who.user.locale);
    let result = async {
        let posted = who.checked(&state, &body)?;
        let email = posted.get("email").unwrap_or_default().to_owned();
        let name = posted.get("name").unwrap_or_default().to_owned();
        let Some(role) = posted.get("role").and_then(|r| Role::parse(r).ok()) else {
            let typed = Typed {
                email,
                name,
                ..Typed::one_error("new", "role", Msg::InvalidChoice.text(locale))
            };
            return again(&req, &state, &who, typed).await;
        };
        let new = NewAccount {
            email: email.clone(),
            name: name.clone(),
            role,
            password: posted.get("password").unwrap_or_default().to_owned(),
        };
        match accounts::create(&state.pool, &state.auth.hasher, new, &who.user).await {
            Ok(_) => Ok(see_other("/staff/users?done=created")),
            Err(e) => {
                let typed = Typed {
                    email,
                    name,
                    ..refused(e, locale, "new")?
                };
                again(&req, &state, &who, typed).await
            }
        }
    }
    .await;
    answer(locale, result)
}

/// `POST /staff/users/{id}/role|disable|password`.
pub async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: ConsoleUser,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    let locale = language(&req, who.user.locale);
    let (id, action) = path.into_inner();
    let result = async {
        let posted = who.checked(&state, &body)?;
        let wanted = match action.as_str() {
            "role" => match posted.get("role").map(Role::parse) {
                Some(Ok(role)) => AccountChange {
                    role: Some(role),
                    ..AccountChange::default()
                },
                _ => {
                    let typed = Typed::one_error(&id, "role", Msg::InvalidChoice.text(locale));
                    return again(&req, &state, &who, typed).await;
                }
            },
            "disable" => AccountChange {
                active: Some(false),
                ..AccountChange::default()
            },
            "password" => AccountChange {
                password: Some(posted.get("password").unwrap_or_default().to_owned()),
                ..AccountChange::default()
            },
            _ => return Err(ConsoleError::NotFound),
        };
        match accounts::change(&state.pool, &state.auth.hasher, &id, wanted, &who.user).await {
            Ok(_) if id == who.user.id && action != "role" => {
                // Their own session just ended with the change.
                Ok(see_other("/staff/login"))
            }
            Ok(_) => Ok(see_other("/staff/users?done=changed")),
            Err(e) => again(&req, &state, &who, refused(e, locale, &id)?).await,
        }
    }
    .await;
    answer(locale, result)
}
