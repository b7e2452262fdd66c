//! The submission page's forms: `status`, `assign`, `priority`, `hold`, `notes`, `replies` (the
//! composer, in `composer.rs`), and
//! `outcome` and `handover` (in `outcome.rs`), and the reply form's `insert` of a saved reply
//! (`saved_reply.rs`). Each
//! answers `303` back to the page with a flash, or the page again with the problem by its
//! field: 422 for the input, 409 when someone else changed the submission first. The four forms
//! that change the submission itself must carry the `version` their page showed: without it a
//! post could overwrite a change it never saw, so it is malformed (400) and changes nothing.
//! (The JSON API's PATCH keeps `version` and `If-Match` optional: its clients decide.)

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::error::answer;
use super::submission::{changes_since, locale_of, render, Problem};
use super::{see_other, words, ConsoleError, ConsoleUser, Posted};
use crate::desk::conversation;
use crate::desk::triage::{self, Expected, Patch, TriageError};
use crate::domain::{FieldErrors, Locale, Msg, Priority, Status};
use crate::http::state::AppState;

/// A refusal the page shows by its field.
pub enum Refused {
    Field(Problem),
    Conflict(i64),
    /// The page again, with this status (the composer's refusals keep what was typed).
    Again(StatusCode, Problem),
}

pub async fn act(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: ConsoleUser,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    let locale = locale_of(&req, &who);
    let (reference, action) = path.into_inner();
    let page_path = format!(
        "/staff/submissions/{}",
        url::form_urlencoded::byte_serialize(reference.as_bytes()).collect::<String>()
    );
    let result = async {
        let posted = who.checked(&state, &body)?;
        if action == "insert" {
            return super::saved_reply::insert(&req, &state, &who, &reference, &posted).await;
        }
        match apply(&state, &who, &reference, &action, &posted, locale).await? {
            Ok(()) => Ok(see_other(&format!("{page_path}?done={action}"))),
            Err(Refused::Field(problem)) => {
                render(
                    &req,
                    &state,
                    &who,
                    &reference,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    None,
                    problem,
                )
                .await
            }
            Err(Refused::Again(status, problem)) => {
                render(&req, &state, &who, &reference, status, None, problem).await
            }
            Err(Refused::Conflict(seen)) => {
                let problem = Problem {
                    conflict: Some(changes_since(&state, &who, &reference, seen, locale).await?),
                    ..Problem::default()
                };
                render(
                    &req,
                    &state,
                    &who,
                    &reference,
                    StatusCode::CONFLICT,
                    None,
                    problem,
                )
                .await
            }
        }
    }
    .await
    .map_err(|e| e.back_to(page_path.clone()));
    answer(locale, result)
}

fn one(field: &'static str, text: String) -> Problem {
    let mut p = Problem::default();
    p.errors.insert(field, text);
    p
}

/// The use case's field errors, under the page's names for them.
fn fields(errors: &FieldErrors, rename: &[(&str, &'static str)], locale: Locale) -> Problem {
    let mut p = Problem::default();
    for (field, list) in errors {
        let shown = rename
            .iter()
            .find(|(from, _)| from == field)
            .map_or(*field, |(_, to)| *to);
        if let Some(first) = list.first() {
            p.errors.insert(shown, first.msg.text(locale));
        }
    }
    p
}

async fn apply(
    state: &AppState,
    who: &ConsoleUser,
    reference: &str,
    action: &str,
    posted: &Posted,
    locale: Locale,
) -> Result<Result<(), Refused>, ConsoleError> {
    let w = words::words(locale);
    let invalid = |field: &'static str| one(field, Msg::InvalidChoice.text(locale));
    let expected = posted
        .get("version")
        .and_then(|v| v.parse::<i32>().ok())
        .map(Expected::Field);
    let seen = posted
        .get("seen")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    let patch = match action {
        "status" => match posted.get("status").map(Status::parse) {
            Some(Ok(s)) => Patch {
                status: Some(s),
                ..Patch::default()
            },
            _ => return Ok(Err(Refused::Field(invalid("status")))),
        },
        "priority" => match posted.get("priority").map(Priority::parse) {
            Some(Ok(p)) => Patch {
                priority: Some(p),
                ..Patch::default()
            },
            _ => return Ok(Err(Refused::Field(invalid("priority")))),
        },
        "hold" => match posted.get("legal_hold") {
            Some("on") => Patch {
                legal_hold: Some(true),
                ..Patch::default()
            },
            Some("off") => Patch {
                legal_hold: Some(false),
                ..Patch::default()
            },
            _ => return Ok(Err(Refused::Field(invalid("legal_hold")))),
        },
        "assign" => {
            let to = match posted.get("assignee").map(str::trim) {
                Some("me") => Some(who.user.id.clone()),
                Some("none") => None,
                Some(id) if !id.is_empty() => Some(id.to_owned()),
                _ => return Ok(Err(Refused::Field(invalid("assignee")))),
            };
            Patch {
                assignee: Some(to),
                ..Patch::default()
            }
        }
        "notes" => {
            let body = posted.get("body").unwrap_or_default();
            return match conversation::add_note(state, &who.user, reference, body).await {
                Ok(_) => Ok(Ok(())),
                Err(TriageError::Invalid(e)) => {
                    let mut p = fields(&e, &[("body", "note")], locale);
                    p.note = body.to_owned();
                    Ok(Err(Refused::Field(p)))
                }
                Err(e) => Err(e.into()),
            };
        }
        "replies" => return super::composer::send(state, who, reference, posted, locale).await,
        "outcome" => {
            return super::outcome::resolve(state, who, reference, posted, expected, locale).await
        }
        "handover" => return super::outcome::hand_over(state, who, reference).await,
        _ => return Err(ConsoleError::NotFound),
    };
    let Some(expected) = expected else {
        return Err(ConsoleError::BadRequest);
    };
    match triage::patch(state, &who.user, reference, patch, expected).await {
        Ok(_) => Ok(Ok(())),
        Err(TriageError::IllegalTransition { .. }) => Ok(Err(Refused::Field(one(
            "status",
            w.not_allowed_move.to_owned(),
        )))),
        Err(TriageError::Invalid(e)) => Ok(Err(Refused::Field(fields(&e, &[], locale)))),
        Err(TriageError::OutcomeRequired) => Ok(Err(super::outcome::outcome_asked(locale))),
        Err(TriageError::VersionConflict { .. } | TriageError::Stale) => {
            Ok(Err(Refused::Conflict(seen)))
        }
        Err(e) => Err(e.into()),
    }
}
