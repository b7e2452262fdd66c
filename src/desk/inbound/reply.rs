//! A message that answers a submission: kept on its thread; unless it is automatic or its
//! sender is past the limit, it reopens a waiting or resolved submission and notifies the
//! assignee (or the queue's team), threaded, through the outbox.

use crate::domain::EventKind;
use serde_json::json;

use super::{over_sender_limit, store, Arrival, InboundError, Receipt};
use crate::db::events::NewEvent;
use crate::db::inbound_mail::{self, Effects};
use crate::db::messages::MessageRow;
use crate::db::outbox::NewOutboxRow;
use crate::db::submissions::SubmissionRow;
use crate::db::{self, staff};
use crate::desk::outgoing::{About, Colleague, ComposeError};
use crate::desk::Context;
use crate::mail;

pub(super) async fn receive(
    state: &Context,
    arrival: Arrival,
    submission: SubmissionRow,
) -> Result<Receipt, InboundError> {
    let automatic = arrival.parsed.automatic();
    let limited = over_sender_limit(state, &arrival.row.sender).await?;
    let now = arrival.row.created_at;
    let shown = automatic.is_none() || automatic == Some("out_of_office");
    let mut effects = Effects::default();
    if shown {
        effects.message = Some(MessageRow {
            id: arrival.row.id.clone(),
            submission_id: submission.id.clone(),
            direction: "inbound".into(),
            author_id: None,
            outbox_id: None,
            message_id: arrival
                .parsed
                .message_id
                .clone()
                .unwrap_or_else(|| arrival.row.dedupe_key.clone()),
            subject: arrival.row.subject.clone(),
            body: arrival.row.body.clone(),
            created_at: now,
        });
    }
    let reason = automatic.or(limited.then_some("sender_limit"));
    if let Some(reason) = reason {
        let outcome = if shown && !limited {
            "reply"
        } else {
            "ignored"
        };
        return store(
            state,
            arrival,
            Some(submission.id),
            outcome,
            Some(reason),
            effects,
        )
        .await;
    }
    effects.reopen = Some(NewEvent::new(
        Some(&submission.id),
        "reader",
        EventKind::ReopenedByReply,
        &json!({"from": submission.status.as_str(), "to": "open", "message": arrival.row.id}),
        now,
    ));
    effects.events.push(NewEvent::new(
        Some(&submission.id),
        "reader",
        EventKind::ReaderReplied,
        &json!({"message": arrival.row.id}),
        now,
    ));
    // Held spam is told to no one: the mail stays on it, for staff to see on release.
    effects
        .mails
        .extend(notice(state, &submission, &arrival).await?);
    store(state, arrival, Some(submission.id), "reply", None, effects).await
}

/// The notice to the assignee while they may be told of the submission, or to the queue's
/// team, threaded under the submission's first notification; none for held spam.
async fn notice(
    state: &Context,
    submission: &SubmissionRow,
    arrival: &Arrival,
) -> Result<Option<NewOutboxRow>, InboundError> {
    let about = About::from(submission);
    if about.held {
        return Ok(None);
    }
    let id = submission.id.clone();
    let assignee = submission.assignee_id.clone();
    let (parent, assignee) = db::run(&state.pool, move |c| {
        let parent = inbound_mail::team_notice_id(c, &id)?;
        let assignee = match assignee {
            Some(a) => staff::user_by_id(c, &a)?,
            None => None,
        };
        Ok((parent, assignee))
    })
    .await?;
    let assignee = assignee.map(|u| Colleague {
        email: u.email,
        role: u.role,
        active: u.active,
    });
    let attachments: Vec<String> = arrival
        .parsed
        .attachments
        .iter()
        .map(|a| format!("{} ({}, {} o)", a.name, a.mime, a.size))
        .collect();
    let rendered = mail::reply_notice::reader_reply(
        &submission.reference,
        &arrival.row.subject,
        &arrival.row.body,
        &attachments,
        state.settings.mail.team_locale,
    )?;
    state
        .outgoing
        .tell_assignee(
            about,
            assignee.as_ref(),
            rendered,
            parent,
            arrival.row.created_at,
        )
        .map_err(|e| match e {
            ComposeError::Render(e) => e.into(),
            ComposeError::Config(e) => InboundError::Intake(e),
        })
}
