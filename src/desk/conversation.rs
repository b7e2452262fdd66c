//! The conversation around a submission: staff's internal notes, and replies to the reader
//! through the outbox.

use serde_json::json;

use super::auth::StaffUser;
use super::triage::{event, get, single, SubmissionRow, TriageError};
use super::Context;
use crate::db::outbox::NewOutboxRow;
use crate::db::{self, messages, notes};
use crate::domain::{MailPurpose, MailStatus, OneLine};
use crate::mail;

pub use crate::db::messages::MessageRow;
pub use crate::db::notes::NoteRow;

/// An internal note: kept with the submission, never e-mailed.
pub async fn add_note(
    state: &Context,
    who: &StaffUser,
    key: &str,
    body: &str,
) -> Result<NoteRow, TriageError> {
    let submission = get(state, who, key).await?;
    let body = crate::domain::MessageBody::parse(body).map_err(|e| single("body", e))?;
    let now = db::now();
    let note = NoteRow {
        id: uuid::Uuid::now_v7().to_string(),
        submission_id: submission.id.clone(),
        author_id: who.id.clone(),
        body: body.as_str().to_owned(),
        created_at: now,
    };
    let audit = event(
        &submission.id,
        who,
        "note_added",
        json!({"note": note.id}),
        now,
    );
    let stored = note.clone();
    db::run(&state.pool, move |conn| {
        notes::add_note(conn, &stored, &audit)
    })
    .await?;
    Ok(note)
}

/// A reply to the reader, through the outbox: from the queue's address, threaded under the
/// acknowledgement, with the reference in the subject.
pub async fn reply(
    state: &Context,
    who: &StaffUser,
    key: &str,
    body: &str,
    subject: Option<&str>,
) -> Result<MessageRow, TriageError> {
    let submission = get(state, who, key).await?;
    let body = crate::domain::MessageBody::parse(body).map_err(|e| single("body", e))?;
    // Blank means the default subject; the bound holds either way.
    let subject = subject
        .filter(|s| !s.trim().is_empty() || s.chars().count() > 200)
        .map(|s| OneLine::parse(s, 200).map_err(|e| single("subject", e)))
        .transpose()?;
    let sender = state.sender_for(submission.queue.as_str()).clone();
    let reference = submission.reference.clone();
    let base = subject.as_ref().map_or_else(
        || {
            submission.subject.clone().unwrap_or_else(|| {
                crate::domain::i18n::label(
                    crate::domain::i18n::Label::AckSubject,
                    locale_of(&submission),
                )
                .to_owned()
            })
        },
        |s| s.as_str().to_owned(),
    );
    let subject = format!("Re: [{reference}] {base}");
    let rendered = mail::staff_reply(body.as_str(), &subject, locale_of(&submission))
        .map_err(|e| TriageError::Internal(e.to_string()))?;
    // A commercial e-mail carries the link that withdraws the marketing opt-in.
    let optout = (submission.desk == crate::domain::Desk::Commercial)
        .then(|| crate::desk::privacy::optout_link(state, &reference, db::now()));
    let rendered = match &optout {
        Some(url) => mail::with_optout(rendered, url, locale_of(&submission)),
        None => rendered,
    };
    let submission_id = submission.id.clone();
    let parent = db::run(&state.pool, move |conn| {
        messages::acknowledgement_id(conn, &submission_id)
    })
    .await?;
    let now = db::now();
    let outbox_id = uuid::Uuid::now_v7().to_string();
    let message_id = mail::new_message_id(&sender);
    let reader = lettre::message::Mailbox::new(
        Some(submission.name.clone()),
        submission
            .email
            .parse()
            .map_err(|e: lettre::address::AddressError| TriageError::Internal(e.to_string()))?,
    );
    let mail_row = NewOutboxRow {
        id: outbox_id.clone(),
        submission_id: submission.id.clone(),
        purpose: MailPurpose::StaffReply,
        from_addr: sender.to_string(),
        recipients: reader.to_string(),
        reply_to: crate::desk::inbound::reply_to(state, submission.queue.as_str(), &reference),
        subject: subject.clone(),
        body_text: rendered.text,
        body_html: rendered.html,
        message_id: message_id.clone(),
        in_reply_to: parent,
        list_unsubscribe: optout,
        status: MailStatus::Pending,
        attempts: 0,
        next_attempt_at: now,
        created_at: now,
    };
    let reply = MessageRow {
        id: uuid::Uuid::now_v7().to_string(),
        submission_id: submission.id.clone(),
        direction: "outbound".into(),
        author_id: Some(who.id.clone()),
        outbox_id: Some(outbox_id),
        message_id,
        subject,
        body: body.as_str().to_owned(),
        created_at: now,
    };
    let audit = event(
        &submission.id,
        who,
        "reply_sent",
        json!({"reply": reply.id}),
        now,
    );
    let stored = reply.clone();
    let address = submission.email.clone();
    db::run(&state.pool, move |conn| {
        // A reader address that bounced permanently on this submission gets no more mail: the
        // reply is kept, its e-mail held.
        if db::bounces::bounced_permanently(conn, &mail_row.submission_id, &address)? {
            return db::bounces::add_held_reply(conn, &mail_row, &stored, &audit);
        }
        messages::add_reply(conn, &mail_row, &stored, &audit)
    })
    .await?;
    state.outbox_wakeup.notify_one();
    Ok(reply)
}

fn locale_of(s: &SubmissionRow) -> crate::domain::Locale {
    s.locale
}
