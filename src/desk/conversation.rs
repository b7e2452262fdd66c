//! The conversation around a submission: staff's internal notes, and replies to the reader
//! through the outbox.

use crate::domain::EventKind;
use serde_json::json;

use super::acts::{event, single, TriageError};
use super::outgoing::About;
use super::triage::row;
use super::Caller;
use super::Context;
use crate::db::{self, messages, notes};
use crate::domain::OneLine;

use super::views::{Message, Note};
use crate::db::messages::MessageRow;
use crate::db::notes::NoteRow;

/// An internal note: kept with the submission, never e-mailed.
pub async fn add_note(
    state: &Context,
    who: &Caller,
    key: &str,
    body: &str,
) -> Result<Note, TriageError> {
    let submission = row(state, who, key).await?;
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
        EventKind::NoteAdded,
        json!({"note": note.id}),
        now,
    );
    let stored = note.clone();
    db::run(&state.pool, move |conn| {
        notes::add_note(conn, &stored, &audit)
    })
    .await?;
    Ok(note.into())
}

/// A reply to the reader, through the outbox: from the queue's address, threaded under the
/// acknowledgement, with the reference in the subject.
pub async fn reply(
    state: &Context,
    who: &Caller,
    key: &str,
    body: &str,
    subject: Option<&str>,
) -> Result<Message, TriageError> {
    let submission = row(state, who, key).await?;
    let body = crate::domain::MessageBody::parse(body).map_err(|e| single("body", e))?;
    // Blank means the default subject; the bound holds either way.
    let subject = subject
        .filter(|s| !s.trim().is_empty() || s.chars().count() > 200)
        .map(|s| OneLine::parse(s, 200).map_err(|e| single("subject", e)))
        .transpose()?;
    let reference = submission.reference.clone();
    let base = subject.as_ref().map_or_else(
        || {
            submission.subject.clone().unwrap_or_else(|| {
                crate::domain::i18n::label(
                    crate::domain::i18n::Label::AckSubject,
                    submission.locale,
                )
                .to_owned()
            })
        },
        |s| s.as_str().to_owned(),
    );
    let subject = format!("Re: [{reference}] {base}");
    let submission_id = submission.id.clone();
    let parent = db::run(&state.pool, move |conn| {
        messages::acknowledgement_id(conn, &submission_id)
    })
    .await?;
    let now = db::now();
    let mail_row = state
        .outgoing
        .reply(
            About::from(&submission),
            &subject,
            body.as_str(),
            parent,
            now,
        )
        .map_err(|e| TriageError::Internal(e.to_string()))?;
    let (outbox_id, message_id) = (mail_row.id.clone(), mail_row.message_id.clone());
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
        EventKind::ReplySent,
        json!({"reply": reply.id}),
        now,
    );
    let stored = reply.clone();
    let address = submission.email.clone();
    db::run(&state.pool, move |conn| {
        // A reader address that bounced permanently on this submission gets no more mail: the
        // reply is kept, its e-mail held.
        if db::bounces::bounced_permanently(conn, &stored.submission_id, &address)? {
            return db::bounces::add_held_reply(conn, &mail_row, &stored, &audit);
        }
        messages::add_reply(conn, &mail_row, &stored, &audit)
    })
    .await?;
    state.outbox_wakeup.notify_one();
    Ok(reply.into())
}
