//! The conversation around a submission: staff's internal notes, and replies to the reader
//! through the outbox.

use crate::domain::EventKind;
use serde_json::json;

use super::acts::{event, single, TriageError};
use super::change::{apply, Rider};
use super::outgoing::About;
use super::triage::{row, Expected, Patch};
use super::Caller;
use super::Context;
use crate::db::events::NewEvent;
use crate::db::outbox::NewOutboxRow;
use crate::db::submissions::SubmissionRow;
use crate::db::triage as store;
use crate::db::{self, messages, notes};
use crate::desk::views::Record;
use crate::domain::OneLine;
use crate::domain::Status;

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

/// A reply as its author composed it: the API's JSON body and the console's form both fill
/// this one field list. (The attachments' files join it here.)
#[derive(Debug, Default, Clone)]
pub struct Draft {
    /// Blank or absent: the reader's own subject, or the acknowledgement's.
    pub subject: Option<String>,
    pub body: String,
    /// The status to set with the reply; `None` leaves it (a `new` one opens by itself).
    pub status: Option<Status>,
    /// A user id or `me`; `Some(None)` unassigns; `None` leaves it.
    pub assignee: Option<Option<String>>,
    /// The id of the newest item of the thread the author saw (`""`: the thread was empty).
    /// `None` checks nothing.
    pub thread_seen: Option<String>,
    /// Sends even though the thread has items newer than `thread_seen`.
    pub confirm: bool,
    /// The submission's version the author read: the status and assignee merge as a
    /// change's `version` does.
    pub version: Option<i32>,
}

/// A reply to the reader, through the outbox: from the queue's address, threaded under the
/// acknowledgement, with the reference in the subject. The status and assignee it sets commit
/// with it, by the triage's rules, or nothing is sent.
pub async fn reply(
    state: &Context,
    who: &Caller,
    key: &str,
    draft: Draft,
) -> Result<Message, TriageError> {
    let submission = row(state, who, key).await?;
    let body = crate::domain::MessageBody::parse(&draft.body).map_err(|e| single("body", e))?;
    // Blank means the default subject; the bound holds either way.
    let subject = draft
        .subject
        .as_deref()
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
    let patch = Patch {
        status: draft.status,
        assignee: draft.assignee,
        ..Patch::default()
    };
    let expected = draft.version.map_or(Expected::Any, Expected::Field);
    let rider = ReplyRider {
        seen: (!draft.confirm).then_some(draft.thread_seen).flatten(),
        address: submission.email.clone(),
        mail: mail_row,
        reply: reply.clone(),
        audit,
    };
    let (key, who_, settings, outgoing) = (
        submission.id.clone(),
        who.clone(),
        state.settings.clone(),
        state.outgoing.clone(),
    );
    db::run(&state.pool, move |conn| {
        Ok(db::transaction(conn, |conn| {
            apply(
                conn,
                &settings,
                &outgoing,
                &who_,
                &key,
                patch,
                expected,
                Some(Box::new(rider)),
            )
        }))
    })
    .await??;
    state.outbox_wakeup.notify_one();
    Ok(reply.into())
}

/// The reply's part of its change: the thread checked first, the reply written last.
struct ReplyRider {
    /// The newest item the author saw (`""`: none); `None` checks nothing.
    seen: Option<String>,
    address: String,
    mail: NewOutboxRow,
    reply: MessageRow,
    audit: NewEvent,
}

impl Rider for ReplyRider {
    /// Refuses a reply whose author had not seen the thread's newest items: the error carries
    /// them.
    fn check(
        &mut self,
        conn: &mut db::DbConnection,
        current: &SubmissionRow,
    ) -> Result<(), TriageError> {
        let Some(seen) = self.seen.as_deref() else {
            return Ok(());
        };
        let thread = messages::thread_ids(conn, &current.id)?;
        let newer = if seen.is_empty() {
            0
        } else {
            thread
                .iter()
                .position(|id| id == seen)
                .map(|i| i + 1)
                .ok_or_else(|| {
                    single(
                        "thread_seen",
                        crate::domain::FieldError::new(crate::domain::Msg::NotInThread),
                    )
                })?
        };
        if newer == thread.len() {
            return Ok(());
        }
        let fresh = &thread[newer..];
        let mut record: Record = store::record(conn, current.clone())?.into();
        record.replies.retain(|m| fresh.contains(&m.id));
        Err(TriageError::ThreadChanged(Box::new(record)))
    }

    /// A reader address that bounced permanently on this submission gets no more mail: the
    /// reply is kept, its e-mail held.
    fn write(
        self: Box<Self>,
        conn: &mut db::DbConnection,
        _current: &SubmissionRow,
    ) -> Result<bool, TriageError> {
        if db::bounces::bounced_permanently(conn, &self.reply.submission_id, &self.address)? {
            db::bounces::hold_reply(conn, &self.mail, &self.reply, &self.audit)?;
            return Ok(false);
        }
        messages::insert_reply(conn, &self.mail, &self.reply, &self.audit)?;
        Ok(true)
    }
}
