//! Closing a right of reply or a correction request: the outcome given with the move to
//! `resolved`, and the article's publication date that starts the reader's three months.
//! Part of a staff change (`triage::patch`), inside its transaction.

use crate::domain::EventKind;
use chrono::{NaiveDate, NaiveDateTime};
use serde_json::json;

use crate::db::corrections::CorrectionRow;
use crate::db::events::NewEvent;
use crate::db::outbox::NewOutboxRow;
use crate::db::submissions::SubmissionRow;
use crate::db::triage::SubmissionChanges;
use crate::desk::acts::{event, single, TriageError};
use crate::desk::outgoing::{About, Composer};
use crate::desk::Caller;
use crate::domain::duties::{out_of_time, OUT_OF_TIME};
use crate::domain::{FieldError, Msg, Outcome, Status, Topic};

/// What a change asks of the duties: a publication date (`Some(None)` clears it), an outcome.
#[derive(Debug, Default)]
pub struct DutyPatch {
    pub article_published_at: Option<Option<NaiveDate>>,
    pub outcome: Option<Outcome>,
}

/// What closing writes besides the submission's own columns.
#[derive(Default)]
pub struct Closing {
    pub audit: Vec<NewEvent>,
    pub mails: Vec<NewOutboxRow>,
    pub correction: Option<CorrectionRow>,
}

/// Checks the duties' part of a change and fills in what it writes. `to` is the status the
/// change moves to, if it moves; `parent` is the reader's acknowledgement, which the outcome's
/// e-mail threads under.
#[allow(clippy::too_many_arguments)]
pub fn plan(
    outgoing: &Composer,
    who: &Caller,
    current: &SubmissionRow,
    to: Option<Status>,
    patch: DutyPatch,
    changes: &mut SubmissionChanges,
    parent: Option<String>,
    now: NaiveDateTime,
) -> Result<Closing, TriageError> {
    let mut closing = Closing::default();
    if let Some(date) = patch
        .article_published_at
        .filter(|d| *d != current.article_published_at)
    {
        let mut flags: Vec<&str> = current
            .flags
            .split(',')
            .filter(|f| !f.is_empty() && *f != OUT_OF_TIME)
            .collect();
        let late = date.is_some_and(|d| out_of_time(d, current.created_at));
        if current.topic == Topic::RightOfReply && late {
            flags.push(OUT_OF_TIME);
        }
        changes.article_published_at = Some(date);
        changes.flags = Some(flags.join(","));
        closing.audit.push(event(
            &current.id,
            who,
            EventKind::Changed,
            json!({"field": "article_published_at", "from": current.article_published_at, "to": date}),
            now,
        ));
    }
    let resolving = to == Some(Status::Resolved) && current.status != Status::Resolved;
    let outcome = match (patch.outcome, resolving) {
        (Some(_), false) => {
            return Err(single(
                "outcome",
                FieldError::new(Msg::OutcomeWithoutResolving),
            ))
        }
        (None, true) if current.topic == Topic::RightOfReply => {
            return Err(TriageError::OutcomeRequired)
        }
        (None, _) => return Ok(closing),
        (Some(outcome), true) => outcome
            .checked(current.topic)
            .map_err(|e| single("outcome", e))?,
    };
    let detail =
        serde_json::to_value(&outcome).map_err(|e| TriageError::Internal(e.to_string()))?;
    changes.outcome_kind = Some(Some(outcome.kind()));
    changes.outcome = Some(Some(detail.to_string()));
    closing
        .audit
        .push(event(&current.id, who, EventKind::Outcome, detail, now));
    if let Some(mail) = outgoing
        .outcome(About::from(current), &outcome, parent, now)
        .map_err(|e| TriageError::Internal(e.to_string()))?
    {
        closing.mails.push(mail);
    }
    if let Outcome::Corrected {
        article_url,
        text,
        public,
    } = outcome
    {
        closing.correction = Some(CorrectionRow {
            id: uuid::Uuid::now_v7().to_string(),
            submission_id: Some(current.id.clone()),
            article_url,
            text,
            public,
            published_at: now,
            updated_at: None,
            desk: current.desk,
        });
    }
    Ok(closing)
}
