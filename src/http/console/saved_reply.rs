//! Inserting a saved reply into the submission page's reply box. Without JavaScript, the reply
//! form's "Insérer" button posts the form to `…/insert`, and the page comes back with the saved
//! reply, filled in for the submission, after what was already typed. With JavaScript, the text
//! comes from `GET …/saved-replies/{id}` and goes in at the cursor, in place.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::error::answer;
use super::submission::{locale_of, render, Problem};
use super::{ConsoleError, ConsoleUser, Posted};
use crate::desk::saved_replies::{self, SavedReplyError};
use crate::domain::{Desk, Locale, Msg};
use crate::http::state::AppState;

impl From<SavedReplyError> for ConsoleError {
    fn from(e: SavedReplyError) -> Self {
        match e {
            SavedReplyError::NotFound => ConsoleError::NotFound,
            SavedReplyError::Forbidden => ConsoleError::Forbidden,
            SavedReplyError::Invalid(_) => ConsoleError::BadRequest,
            SavedReplyError::Db(e) => e.into(),
        }
    }
}

/// The select's choices for a submission of `desk`: (id, title), those in the reader's language
/// first.
pub async fn choices(
    state: &AppState,
    who: &ConsoleUser,
    desk: Desk,
    reader: Locale,
) -> Result<Vec<(String, String)>, ConsoleError> {
    let mut all = saved_replies::list(&state.pool, &who.user, Some(desk)).await?;
    all.sort_by_key(|r| r.locale != reader);
    Ok(all
        .into_iter()
        .map(|r| (r.id, format!("{} ({})", r.title, r.locale.as_str())))
        .collect())
}

/// The text typed so far with the filled-in saved reply after it, a blank line between.
fn appended(typed: &str, filled: &str) -> String {
    if typed.trim().is_empty() {
        filled.to_owned()
    } else {
        format!("{}\n\n{filled}", typed.trim_end())
    }
}

/// `POST /staff/submissions/{reference}/insert`, from the reply form: the page again, its
/// reply box holding what was typed and the saved reply filled in. Nothing is sent or stored.
pub async fn insert(
    req: &HttpRequest,
    state: &AppState,
    who: &ConsoleUser,
    reference: &str,
    posted: &Posted,
) -> Result<HttpResponse, ConsoleError> {
    let typed = posted.get("body").unwrap_or_default();
    let chosen = posted.get("saved_reply").unwrap_or_default();
    let mut problem = Problem {
        reply: typed.to_owned(),
        reply_subject: posted.get("subject").unwrap_or_default().to_owned(),
        ..Problem::default()
    };
    let status = match saved_replies::filled(state, &who.user, chosen, reference).await {
        Ok(saved) => {
            problem.reply = appended(typed, &saved.body);
            problem.saved_reply = Some(saved.id);
            StatusCode::OK
        }
        // Deleted since the page was loaded, or never offered: the page says so by the select
        // (a submission the caller may not see is "not found" when the page renders).
        Err(SavedReplyError::NotFound) => {
            let locale = locale_of(req, who);
            problem
                .errors
                .insert("saved_reply", Msg::InvalidChoice.text(locale));
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(e) => return Err(e.into()),
    };
    render(req, state, who, reference, status, None, problem).await
}

/// `GET /staff/submissions/{reference}/saved-replies/{id}`: the saved reply filled in for the
/// submission, as plain text, for the console's script.
pub async fn filled_text(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: ConsoleUser,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let locale = locale_of(&req, &who);
    let (reference, id) = path.into_inner();
    let result = saved_replies::filled(&state, &who.user, &id, &reference)
        .await
        .map(|saved| {
            HttpResponse::Ok()
                .content_type("text/plain; charset=utf-8")
                .insert_header(("cache-control", "no-store"))
                .body(saved.body)
        })
        .map_err(ConsoleError::from);
    answer(locale, result)
}

#[cfg(test)]
mod tests {
    use super::appended;

    #[test]
    fn a_saved_reply_goes_after_what_was_typed() {
        assert_eq!(appended("  \n", "Bonjour"), "Bonjour");
        assert_eq!(appended("Merci.\n\n", "Bonjour"), "Merci.\n\nBonjour");
    }
}
