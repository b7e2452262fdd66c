//! Closing a right of reply or a correction from the console, and handing a sales enquiry over
//! to the sales desk. `POST …/outcome` takes the API's outcome fields (`kind`, `url`,
//! `published_at`, `grounds`, `note`, `text`, `article_url`, `public`) and resolves the
//! submission through the same use case as the API's PATCH; `POST …/handover` is the API's
//! hand-over. The submission page shows both through `Panel`.

use std::collections::HashMap;

use super::submission::Problem;
use super::submission_actions::Refused;
use super::{words, ConsoleError, ConsoleUser, Posted};
use crate::desk::closing::DutyPatch;
use crate::desk::handover;
use crate::desk::triage::{self, Expected, Patch, TriageError};
use crate::desk::views::Submission;
use crate::domain::duties::{outcome_text, publication_date};
use crate::domain::{ArticleUrl, FieldError, Locale, Msg, Outcome, RefusalGrounds, Status, Topic};
use crate::http::state::AppState;

/// The outcome form as typed, to show it again after a refusal.
#[derive(Debug, Default, Clone)]
pub struct Typed {
    pub kind: String,
    pub url: String,
    pub published_at: String,
    pub grounds: String,
    pub note: String,
    pub text: String,
    pub article_url: String,
    pub public: bool,
}

impl Typed {
    fn from_form(posted: &Posted) -> Typed {
        let text = |name: &str| posted.get(name).unwrap_or_default().to_owned();
        Typed {
            kind: text("kind"),
            url: text("url"),
            published_at: text("published_at"),
            grounds: text("grounds"),
            note: text("note"),
            text: text("text"),
            article_url: text("article_url"),
            public: matches!(posted.get("public"), Some("on" | "true" | "1")),
        }
    }
}

/// What the submission page shows of the closing and the hand-over.
pub struct Panel {
    /// The outcome form is offered: a right of reply or a correction, not yet closed.
    pub offered: bool,
    /// A right of reply (inserted or refused) rather than a correction.
    pub reply: bool,
    pub help: &'static str,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub grounds: Vec<(&'static str, &'static str)>,
    pub typed: Typed,
    /// Not handed over yet, and on the newsroom's desk: the hand-over is offered.
    pub may_hand_over: bool,
    /// The commercial copy's reference, and a link to it when the caller may open it.
    pub handed_over: Option<(String, Option<String>)>,
}

/// What the page shows of the closing, `typed` being what the last refused post held.
pub async fn panel(
    state: &AppState,
    who: &ConsoleUser,
    s: &Submission,
    typed: Option<Typed>,
    locale: Locale,
) -> Result<Panel, ConsoleError> {
    let w = words::words(locale);
    let reply = s.topic == Topic::RightOfReply;
    let offered = (reply || s.topic == Topic::Correction)
        && !matches!(s.status, Status::Resolved | Status::Spam);
    let kinds = if reply {
        vec![("inserted", w.kind_inserted), ("refused", w.kind_refused)]
    } else {
        vec![("corrected", w.kind_corrected), ("none", w.kind_none)]
    };
    // A correction is owed to every reader: listed publicly unless staff say otherwise.
    let typed = typed.unwrap_or_else(|| Typed {
        article_url: s.article_url.clone().unwrap_or_default(),
        public: true,
        ..Typed::default()
    });
    let handed_over = handover::handed_over_to(state, &who.user, s).await?;
    Ok(Panel {
        offered,
        reply,
        help: if reply {
            w.outcome_reply_help
        } else {
            w.outcome_correction_help
        },
        kinds,
        grounds: RefusalGrounds::ALL
            .iter()
            .map(|g| (g.as_str(), crate::mail::grounds_text(*g, locale)))
            .collect(),
        typed,
        may_hand_over: handed_over.is_none() && s.desk == crate::domain::Desk::Editorial,
        handed_over: handed_over.map(|h| {
            let link = h
                .visible
                .then(|| format!("/staff/submissions/{}", h.reference));
            (h.reference, link)
        }),
    })
}

/// A field's text, or `Required` when blank.
fn given<'a>(
    errors: &mut HashMap<&'static str, String>,
    field: &'static str,
    raw: &'a str,
    locale: Locale,
) -> Option<&'a str> {
    let raw = raw.trim();
    if raw.is_empty() {
        errors.insert(field, Msg::Required.text(locale));
        return None;
    }
    Some(raw)
}

/// Checks one field with the domain's own rule, to show its problem next to it (the use case
/// checks the whole outcome again).
fn check<T>(
    errors: &mut HashMap<&'static str, String>,
    field: &'static str,
    result: Result<T, FieldError>,
    locale: Locale,
) -> Option<T> {
    result
        .map_err(|e| errors.insert(field, e.msg.text(locale)))
        .ok()
}

/// The outcome the form describes (`None` for "no correction"), or its problems by field.
fn outcome(
    typed: &Typed,
    locale: Locale,
) -> Result<Option<Outcome>, HashMap<&'static str, String>> {
    let mut errors = HashMap::new();
    let e = &mut errors;
    let outcome = match typed.kind.as_str() {
        "inserted" => {
            let url = given(e, "url", &typed.url, locale)
                .and_then(|u| check(e, "url", ArticleUrl::parse(u), locale));
            let date = given(e, "published_at", &typed.published_at, locale)
                .and_then(|d| check(e, "published_at", publication_date(d), locale));
            url.zip(date).map(|(url, date)| Outcome::Inserted {
                url: url.as_str().to_owned(),
                published_at: date.to_string(),
            })
        }
        "refused" => {
            let grounds = given(e, "grounds", &typed.grounds, locale).and_then(|g| {
                let known =
                    RefusalGrounds::parse(g).map_err(|_| FieldError::new(Msg::InvalidChoice));
                check(e, "grounds", known, locale)
            });
            let note = match typed.note.trim() {
                "" => Some(None),
                note => check(e, "note", outcome_text(note), locale).map(Some),
            };
            grounds
                .zip(note)
                .map(|(grounds, note)| Outcome::Refused { grounds, note })
        }
        "corrected" => {
            let article_url = given(e, "article_url", &typed.article_url, locale)
                .and_then(|u| check(e, "article_url", ArticleUrl::parse(u), locale));
            let text = given(e, "text", &typed.text, locale)
                .and_then(|t| check(e, "text", outcome_text(t), locale));
            article_url.zip(text).map(|(url, text)| Outcome::Corrected {
                article_url: url.as_str().to_owned(),
                text,
                public: typed.public,
            })
        }
        // Closed without an outcome: the use case says whether that is allowed.
        "none" | "" => return Ok(None),
        _ => {
            e.insert("kind", Msg::InvalidChoice.text(locale));
            None
        }
    };
    match outcome {
        Some(o) if errors.is_empty() => Ok(Some(o)),
        _ => Err(errors),
    }
}

/// The page again, the outcome form showing `message` and what was typed.
fn again(typed: Typed, message: String) -> Refused {
    let mut p = Problem::default();
    p.errors.insert("outcome", message);
    p.outcome = Some(Box::new(typed));
    Refused::Field(p)
}

/// What a refused move to `resolved` says: not allowed, and where the submission may go.
fn not_allowed(from: Status, locale: Locale) -> String {
    let w = words::words(locale);
    let moves: Vec<&str> = from
        .allowed_moves()
        .iter()
        .map(|m| words::status(*m, locale))
        .collect();
    format!(
        "{} {} {}",
        w.not_allowed_move,
        w.moves_from_here,
        moves.join(", ")
    )
}

/// The status form asked for `resolved` on a right of reply without its outcome: the page
/// again, with the outcome form and what it needs.
pub fn outcome_asked(locale: Locale) -> Refused {
    again(Typed::default(), Msg::OutcomeRequired.text(locale))
}

/// `POST …/outcome`: resolves the submission with the outcome posted, in one change of the
/// triage use case (the outcome, its audit event and the reader's e-mail commit together).
pub async fn resolve(
    state: &AppState,
    who: &ConsoleUser,
    reference: &str,
    posted: &Posted,
    expected: Option<Expected>,
    locale: Locale,
) -> Result<Result<(), Refused>, ConsoleError> {
    let typed = Typed::from_form(posted);
    let outcome = match outcome(&typed, locale) {
        Ok(outcome) => outcome,
        Err(errors) => {
            return Ok(Err(Refused::Field(Problem {
                errors,
                outcome: Some(Box::new(typed)),
                ..Problem::default()
            })));
        }
    };
    let Some(expected) = expected else {
        return Err(ConsoleError::BadRequest);
    };
    let patch = Patch {
        status: Some(Status::Resolved),
        duties: DutyPatch {
            article_published_at: None,
            outcome,
        },
        ..Patch::default()
    };
    match triage::patch(state, &who.user, reference, patch, expected).await {
        Ok(_) => Ok(Ok(())),
        Err(TriageError::OutcomeRequired) => {
            Ok(Err(again(typed, Msg::OutcomeRequired.text(locale))))
        }
        Err(TriageError::IllegalTransition { from, .. }) => {
            Ok(Err(again(typed, not_allowed(from, locale))))
        }
        Err(TriageError::Invalid(fields)) => {
            let messages = fields
                .values()
                .filter_map(|l| l.first())
                .map(|e| e.msg.text(locale))
                .collect::<Vec<_>>()
                .join(" ");
            Ok(Err(again(typed, messages)))
        }
        Err(TriageError::VersionConflict { .. } | TriageError::Stale) => {
            let seen = posted
                .get("seen")
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(0);
            Ok(Err(Refused::Conflict(seen)))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST …/handover`: the API's hand-over. The page then shows the commercial reference.
pub async fn hand_over(
    state: &AppState,
    who: &ConsoleUser,
    reference: &str,
) -> Result<Result<(), Refused>, ConsoleError> {
    handover::hand_over(state, &who.user, reference).await?;
    Ok(Ok(()))
}
