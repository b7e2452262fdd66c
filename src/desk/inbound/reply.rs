//! A message that answers a submission: kept on its thread; unless it is automatic or its
//! sender is past the limit, it reopens a waiting or resolved submission and notifies the
//! assignee (or the queue's team), threaded, through the outbox.

use serde_json::json;

use super::{over_sender_limit, store, Arrival, InboundError, Receipt};
use crate::db::events::NewEvent;
use crate::db::inbound_mail::{self, Effects};
use crate::db::messages::MessageRow;
use crate::db::outbox::NewOutboxRow;
use crate::db::submissions::SubmissionRow;
use crate::db::{self, staff};
use crate::desk::Context;
use crate::domain::{MailPurpose, MailStatus};
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
        "reopened_by_reply",
        &json!({"from": submission.status.as_str(), "to": "open", "message": arrival.row.id}),
        now,
    ));
    effects.events.push(NewEvent::new(
        Some(&submission.id),
        "reader",
        "reader_replied",
        &json!({"message": arrival.row.id}),
        now,
    ));
    effects
        .mails
        .push(notice(state, &submission, &arrival).await?);
    store(state, arrival, Some(submission.id), "reply", None, effects).await
}

/// The notice to the assignee, or to the queue's team when nobody is assigned, threaded under
/// the submission's first notification.
async fn notice(
    state: &Context,
    submission: &SubmissionRow,
    arrival: &Arrival,
) -> Result<NewOutboxRow, InboundError> {
    let id = submission.id.clone();
    let assignee = submission.assignee_id.clone();
    let (parent, assignee) = db::run(&state.pool, move |c| {
        let parent = inbound_mail::team_notice_id(c, &id)?;
        let assignee = match assignee {
            Some(a) => staff::user_by_id(c, &a)?.filter(|u| u.active),
            None => None,
        };
        Ok((parent, assignee))
    })
    .await?;
    let recipients = match assignee {
        Some(user) => user.email,
        None => state
            .settings
            .queues
            .get(submission.queue.as_str())
            .map(|q| q.notify.join(", "))
            .unwrap_or_default(),
    };
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
    let reader = submission
        .email
        .parse::<lettre::Address>()
        .map(|a| lettre::message::Mailbox::new(Some(submission.name.clone()), a).to_string())
        .ok();
    let now = arrival.row.created_at;
    Ok(NewOutboxRow {
        id: uuid::Uuid::now_v7().to_string(),
        submission_id: submission.id.clone(),
        purpose: MailPurpose::ReplyNotice,
        from_addr: state.settings.mail.from.clone(),
        recipients,
        reply_to: reader,
        subject: rendered.subject,
        body_text: rendered.text,
        body_html: rendered.html,
        message_id: mail::new_message_id(&state.sender),
        in_reply_to: parent,
        list_unsubscribe: None,
        status: MailStatus::Pending,
        attempts: 0,
        next_attempt_at: now,
        created_at: now,
    })
}
