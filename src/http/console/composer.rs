//! The submission page's composer: the reply, with the status and the assignee set in the same
//! post (`POST …/replies`). Its fields are the API's: `subject`, `body`, `status`, `assignee`,
//! `thread_seen`, `confirm` (and the page's `version`). A refusal shows the page again with the
//! text as typed: 422 for the input, 409 when the move is not allowed, when someone changed
//! the same field, or when the thread has items the author had not seen (listed, with "send
//! anyway", `confirm=1`).

use actix_web::http::StatusCode;

use super::submission::{changes_since, Item, Problem};
use super::submission_actions::Refused;
use super::{words, ConsoleError, ConsoleUser, Posted};
use crate::desk::conversation::{self, Draft};
use crate::desk::triage::TriageError;
use crate::domain::{Locale, Msg, Status};
use crate::http::state::AppState;

/// The composer's own words.
pub struct Words {
    pub title: &'static str,
    pub status_after: &'static str,
    pub assignee_after: &'static str,
    pub thread_changed: &'static str,
    pub send_anyway: &'static str,
    pub shortcut: &'static str,
}

const FR: Words = Words {
    title: "Répondre au lecteur",
    status_after: "Statut",
    assignee_after: "Responsable",
    thread_changed: "De nouveaux messages sont arrivés depuis que vous avez ouvert la page ; votre réponse n’est pas partie. Lisez-les, puis envoyez-la :",
    send_anyway: "Envoyer quand même",
    shortcut: "Ctrl+Entrée envoie la réponse.",
};

const EN: Words = Words {
    title: "Reply to the reader",
    status_after: "Status",
    assignee_after: "Assignee",
    thread_changed: "New messages came in since you opened the page; your reply was not sent. Read them, then send it:",
    send_anyway: "Send anyway",
    shortcut: "Ctrl+Enter sends the reply.",
};

pub fn words(locale: Locale) -> &'static Words {
    match locale {
        Locale::Fr => &FR,
        Locale::En => &EN,
    }
}

/// The statuses the composer offers: the current one (selected), and those the reply may
/// move to. A `new` submission opens by itself on a reply, so the moves from `open` are
/// offered too.
pub fn statuses(current: Status, locale: Locale) -> Vec<(&'static str, &'static str, bool)> {
    Status::ALL
        .iter()
        .filter(|s| {
            **s == current
                || current.can_move_to(**s)
                || (current == Status::New && Status::Open.can_move_to(**s))
        })
        .map(|s| (s.as_str(), words::status(*s, locale), *s == current))
        .collect()
}

/// The form as posted, in the use case's field list. `assignee`: `me`, `none` (unassigns) or
/// an id; left out when absent or blank. `thread_seen` is kept even when empty: the page had
/// no item in its thread.
pub fn draft(posted: &Posted) -> Result<Draft, &'static str> {
    let status = match posted.get("status").filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(Status::parse(s).map_err(|_| "status")?),
    };
    let assignee = match posted.get("assignee").map(str::trim) {
        None | Some("") => None,
        Some("none") => Some(None),
        Some(id) => Some(Some(id.to_owned())),
    };
    Ok(Draft {
        subject: posted.get("subject").map(str::to_owned),
        body: posted.get("body").unwrap_or_default().to_owned(),
        status,
        assignee,
        thread_seen: posted.get("thread_seen").map(str::to_owned),
        confirm: posted.get("confirm") == Some("1"),
        version: posted.get("version").and_then(|v| v.parse().ok()),
    })
}

/// Sends the composed reply; a refusal is the page again with what was typed.
pub async fn send(
    state: &AppState,
    who: &ConsoleUser,
    reference: &str,
    posted: &Posted,
    locale: Locale,
) -> Result<Result<(), Refused>, ConsoleError> {
    let typed = |mut p: Problem| {
        p.reply = posted.get("body").unwrap_or_default().to_owned();
        p.reply_subject = posted.get("subject").unwrap_or_default().to_owned();
        p
    };
    let draft = match draft(posted) {
        Ok(d) => d,
        Err(field) => {
            let mut p = Problem::default();
            p.errors.insert(field, Msg::InvalidChoice.text(locale));
            return Ok(Err(Refused::Again(
                StatusCode::UNPROCESSABLE_ENTITY,
                typed(p),
            )));
        }
    };
    let refused = match conversation::reply(state, &who.user, reference, draft).await {
        Ok(_) => return Ok(Ok(())),
        Err(e) => e,
    };
    let mut p = Problem::default();
    let status = match refused {
        TriageError::Invalid(errors) => {
            for (field, list) in &errors {
                let shown = match *field {
                    "body" => "reply",
                    "assignee" => "reply_assignee",
                    other => other,
                };
                if let Some(first) = list.first() {
                    p.errors.insert(shown, first.msg.text(locale));
                }
            }
            StatusCode::UNPROCESSABLE_ENTITY
        }
        TriageError::IllegalTransition { .. } => {
            p.errors
                .insert("reply_status", words::words(locale).not_allowed_move.into());
            StatusCode::CONFLICT
        }
        TriageError::OutcomeRequired => {
            p.errors
                .insert("reply_status", Msg::OutcomeRequired.text(locale));
            StatusCode::UNPROCESSABLE_ENTITY
        }
        TriageError::VersionConflict { .. } => {
            let seen = posted.get("seen").and_then(|v| v.parse().ok()).unwrap_or(0);
            p.conflict = Some(changes_since(state, who, reference, seen, locale).await?);
            StatusCode::CONFLICT
        }
        TriageError::ThreadChanged(record) => {
            let names = super::submission::account_names(state).await?;
            let reader = record.submission.name.clone();
            p.thread_changed = Some(
                record
                    .replies
                    .into_iter()
                    .map(|m| {
                        Item::of_message(m, &names, &reader, locale, state.settings.site.timezone)
                    })
                    .collect(),
            );
            StatusCode::CONFLICT
        }
        other => return Err(other.into()),
    };
    Ok(Err(Refused::Again(status, typed(p))))
}
