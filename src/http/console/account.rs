//! `/staff/account`: one's own account, its password (the current one needed) and language.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::error::answer;
use super::{language, page, see_other, words, ConsoleError, ConsoleUser, Frame};
use crate::desk::account_self;
use crate::desk::accounts::AccountError;
use crate::domain::{Locale, Msg};
use crate::http::state::AppState;

#[derive(Template)]
#[template(path = "console/account.html")]
struct Account {
    f: Frame,
    csrf: String,
    name: String,
    email: String,
    role: &'static str,
    chosen: &'static str,
    errors: HashMap<&'static str, String>,
}

#[derive(Deserialize)]
pub struct AccountQuery {
    done: Option<String>,
}

async fn render(
    req: &HttpRequest,
    who: &ConsoleUser,
    status: StatusCode,
    flash: Option<String>,
    errors: HashMap<&'static str, String>,
) -> Result<HttpResponse, ConsoleError> {
    let locale = language(req, who.user.locale);
    let w = words::words(locale);
    page(
        status,
        Account {
            f: who.frame(req, w.account, flash),
            csrf: who.csrf.clone(),
            name: who.user.display_name.clone(),
            email: who.user.email.clone(),
            role: words::role(who.user.role, locale),
            chosen: who.user.locale.map_or("", |l| l.as_str()),
            errors,
        }
        .render(),
    )
}

pub async fn page_view(
    req: HttpRequest,
    who: ConsoleUser,
    query: web::Query<AccountQuery>,
) -> HttpResponse {
    let locale = language(&req, who.user.locale);
    let flash = (query.done.as_deref() == Some("language"))
        .then(|| words::words(locale).language_saved.to_owned());
    answer(
        locale,
        render(&req, &who, StatusCode::OK, flash, HashMap::new()).await,
    )
}

/// `POST /staff/account/password` (`current_password`, `password`) and
/// `POST /staff/account/language` (`locale`: `fr`, `en`, or empty for the browser's).
pub async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: ConsoleUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let locale = language(&req, who.user.locale);
    let result = async {
        let posted = who.checked(&state, &body)?;
        let mut errors = HashMap::new();
        match path.as_str() {
            "language" => {
                let chosen = match posted.get("locale").unwrap_or_default() {
                    "" => None,
                    code => match Locale::parse(code) {
                        Ok(l) => Some(l),
                        Err(_) => {
                            errors.insert("locale", Msg::InvalidChoice.text(locale));
                            return render(
                                &req,
                                &who,
                                StatusCode::UNPROCESSABLE_ENTITY,
                                None,
                                errors,
                            )
                            .await;
                        }
                    },
                };
                account_self::set_language(&state.pool, &who.user, chosen).await?;
                Ok(see_other("/staff/account?done=language"))
            }
            "password" => {
                let current = posted.get("current_password").unwrap_or_default();
                let new = posted.get("password").unwrap_or_default().to_owned();
                match account_self::change_password(
                    &state.pool,
                    &state.auth.hasher,
                    &who.user,
                    current,
                    new,
                )
                .await
                {
                    // Every session of the account ended, this one too.
                    Ok(()) => Ok(see_other("/staff/login?done=password")),
                    Err(AccountError::Invalid(fields)) => {
                        for (field, list) in fields {
                            if let Some(first) = list.first() {
                                errors.insert(field, first.msg.text(locale));
                            }
                        }
                        render(&req, &who, StatusCode::UNPROCESSABLE_ENTITY, None, errors).await
                    }
                    Err(e) => Err(e.into()),
                }
            }
            _ => Err(ConsoleError::NotFound),
        }
    }
    .await;
    answer(locale, result)
}
