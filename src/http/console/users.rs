//! `/staff/users`: the accounts, for admins only (403 for anyone else): open one (it is e-mailed
//! an invitation to choose its password), change its role, disable it (after a confirmation),
//! set its password or send it a new invitation. Each change that touches credentials ends the
//! account's sessions (the use case does it).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::account_words::{account_words, AccountWords};
use super::error::answer;
use super::{language, page, see_other, words, ConsoleError, ConsoleUser, Frame};
use crate::desk::accounts::{self, AccountChange, AccountError};
use crate::desk::invitations::{self, Opening};
use crate::domain::{Locale, Msg, Role};
use crate::http::state::AppState;

pub struct Account {
    id: String,
    email: String,
    name: String,
    role: &'static str,
    role_code: &'static str,
    active: bool,
    pending: bool,
    /// The signed-in admin's own account: it offers no "disable".
    own: bool,
}

#[derive(Template)]
#[template(path = "console/users.html")]
struct Users {
    f: Frame,
    a: &'static AccountWords,
    csrf: String,
    accounts: Vec<Account>,
    roles: Vec<(&'static str, &'static str)>,
    /// A refusal about the page as a whole (disabling one's own account).
    problem: Option<String>,
    /// Which form the errors belong to (`new` or an account's id), and field → message.
    target: String,
    errors: HashMap<&'static str, String>,
    typed_email: String,
    typed_name: String,
    /// The role the new-account form shows chosen: `editor` at first, then what was posted.
    typed_role: String,
}

impl Users {
    fn error(&self, target: &str, field: &str) -> Option<&String> {
        (self.target == target)
            .then(|| self.errors.get(field))
            .flatten()
    }
}

#[derive(Template)]
#[template(path = "console/confirm_disable.html")]
struct ConfirmDisable<'a> {
    f: Frame,
    a: &'static AccountWords,
    csrf: &'a str,
    id: &'a str,
    name: &'a str,
    email: &'a str,
}

#[derive(Deserialize)]
pub struct UsersQuery {
    done: Option<String>,
}

/// What the page shows again after a refusal.
struct Typed {
    target: String,
    errors: HashMap<&'static str, String>,
    problem: Option<String>,
    email: String,
    name: String,
    role: String,
}

impl Default for Typed {
    fn default() -> Typed {
        Typed {
            target: String::new(),
            errors: HashMap::new(),
            problem: None,
            email: String::new(),
            name: String::new(),
            // A new colleague gets no admin rights unless chosen.
            role: Role::Editor.as_str().to_owned(),
        }
    }
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
            own: u.id == who.user.id,
            id: u.id,
            email: u.email,
            name: u.display_name,
            active: u.active,
            pending: u.invitation_pending,
        })
        .collect();
    page(
        status,
        Users {
            f: who.frame(req, w.accounts, flash),
            a: account_words(locale),
            csrf: who.csrf.clone(),
            accounts,
            roles: Role::ALL
                .iter()
                .map(|r| (r.as_str(), words::role(*r, locale)))
                .collect(),
            problem: typed.problem,
            target: typed.target,
            errors: typed.errors,
            typed_email: typed.email,
            typed_name: typed.name,
            typed_role: typed.role,
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
    let flash = match query.done.as_deref() {
        Some("invited") => Some(account_words(locale).invitation_sent.to_owned()),
        Some(_) => Some(words::words(locale).account_saved.to_owned()),
        None => None,
    };
    let result =
        async { render(&req, &state, &who, StatusCode::OK, flash, Typed::default()).await }.await;
    answer(locale, result)
}

/// What a refusal shows on the page, or the error page for what is no refusal of a field.
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
        AccountError::CannotDisableSelf => {
            typed.problem = Some(Msg::CannotDisableSelf.text(locale));
        }
        other => return Err(other.into()),
    }
    Ok(typed)
}

/// `POST /staff/users`: `email`, `name`, `role`. The account is e-mailed its invitation.
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
        let posted_role = posted.get("role").unwrap_or_default().to_owned();
        let Ok(role) = Role::parse(&posted_role) else {
            let typed = Typed {
                email,
                name,
                ..Typed::one_error("new", "role", Msg::InvalidChoice.text(locale))
            };
            return render(
                &req,
                &state,
                &who,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                typed,
            )
            .await;
        };
        let new = Opening {
            email: email.clone(),
            name: name.clone(),
            role,
            password: None,
        };
        match invitations::open(&state, new, &who.user).await {
            Ok(_) => Ok(see_other("/staff/users?done=invited")),
            Err(e) => {
                let typed = Typed {
                    email,
                    name,
                    role: posted_role,
                    ..refused(e, locale, "new")?
                };
                render(
                    &req,
                    &state,
                    &who,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    None,
                    typed,
                )
                .await
            }
        }
    }
    .await;
    answer(locale, result)
}

/// `POST /staff/users/{id}/role|disable|password|invite`. `disable` without `confirm=1`
/// answers the confirmation page instead.
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
        let again = |typed: Typed| {
            render(
                &req,
                &state,
                &who,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                typed,
            )
        };
        let wanted = match action.as_str() {
            "role" => match posted.get("role").map(Role::parse) {
                Some(Ok(role)) => AccountChange {
                    role: Some(role),
                    ..AccountChange::default()
                },
                _ => {
                    let typed = Typed::one_error(&id, "role", Msg::InvalidChoice.text(locale));
                    return again(typed).await;
                }
            },
            "disable" if posted.get("confirm") != Some("1") => {
                return match accounts::may_disable(&who.user, &id) {
                    Ok(()) => confirm_disable(&req, &state, &who, &id).await,
                    Err(e) => again(refused(e, locale, &id)?).await,
                };
            }
            "disable" => AccountChange {
                active: Some(false),
                ..AccountChange::default()
            },
            "password" => AccountChange {
                password: Some(posted.get("password").unwrap_or_default().to_owned()),
                ..AccountChange::default()
            },
            "invite" => {
                crate::desk::invitations::invite(&state, &id, &who.user).await?;
                return Ok(see_other("/staff/users?done=invited"));
            }
            _ => return Err(ConsoleError::NotFound),
        };
        match accounts::change(&state.pool, &state.auth.hasher, &id, wanted, &who.user).await {
            Ok(_) if id == who.user.id && action != "role" => {
                // Their own session just ended with the change.
                Ok(see_other("/staff/login"))
            }
            Ok(_) => Ok(see_other("/staff/users?done=changed")),
            Err(e) => again(refused(e, locale, &id)?).await,
        }
    }
    .await;
    answer(locale, result)
}

/// The step before disabling: who, what it does, and the button that does it.
async fn confirm_disable(
    req: &HttpRequest,
    state: &AppState,
    who: &ConsoleUser,
    id: &str,
) -> Result<HttpResponse, ConsoleError> {
    let locale = language(req, who.user.locale);
    let a = account_words(locale);
    let account = accounts::list(&state.pool, &who.user)
        .await?
        .into_iter()
        .find(|u| u.id == id && u.active)
        .ok_or(ConsoleError::NotFound)?;
    page(
        StatusCode::OK,
        ConfirmDisable {
            f: who.frame(req, a.confirm_disable_title, None),
            a,
            csrf: &who.csrf,
            id,
            name: &account.display_name,
            email: &account.email,
        }
        .render(),
    )
}
