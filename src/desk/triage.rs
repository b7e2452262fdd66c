//! Staff work on the queues: what each role may see, and every change, checked and audited.

use chrono::NaiveDateTime;
use serde_json::json;

use crate::db;
pub use crate::db::submissions::SubmissionRow;
use crate::db::submissions::{NewEvent, NewOutboxRow};
use crate::db::triage::{self as store, SubmissionChanges};
pub use crate::db::triage::{
    AssigneeFilter, ListFilter, MessageRow, NoteRow, Record, Sort, SubmissionSummary,
};
use crate::desk::auth::StaffUser;
use crate::desk::{DbError, Desk};
use crate::domain::{FormKind, Msg, OneLine, Priority, QueueName, Role, Status};
use crate::mail;

/// Why a staff action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum TriageError {
    /// Missing, or on a desk the caller may not see: the same answer for both.
    #[error("submission not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error("invalid fields")]
    Invalid(crate::domain::FieldErrors),
    /// The `If-Match` version is not the current one.
    #[error("stale If-Match")]
    Stale,
    /// The `version` field is not the current one.
    #[error("version conflict: now {current}")]
    VersionConflict { current: i32 },
    #[error("no move from {} to {}", from.as_str(), to.as_str())]
    IllegalTransition { from: Status, to: Status },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{0}")]
    Internal(String),
}

/// The queues a role may see, in configuration order.
pub fn visible_queues(state: &Desk, role: Role) -> Vec<String> {
    state
        .settings
        .queues
        .iter()
        .filter(|(_, q)| role.sees(q.desk))
        .map(|(name, _)| name.clone())
        .collect()
}

fn may_see(state: &Desk, role: Role, queue: &str) -> bool {
    state
        .settings
        .queues
        .get(queue)
        .is_some_and(|q| role.sees(q.desk))
}

fn event(
    submission_id: &str,
    actor: &StaffUser,
    kind: &str,
    detail: serde_json::Value,
    now: NaiveDateTime,
) -> NewEvent {
    NewEvent {
        id: uuid::Uuid::now_v7().to_string(),
        submission_id: Some(submission_id.to_owned()),
        actor: actor.id.clone(),
        kind: kind.to_owned(),
        detail: detail.to_string(),
        created_at: now,
    }
}

pub async fn list(state: &Desk, filter: ListFilter) -> Result<Vec<SubmissionSummary>, TriageError> {
    if filter.queues.is_empty() {
        return Ok(Vec::new());
    }
    Ok(db::run(&state.pool, move |conn| store::list(conn, &filter)).await?)
}

/// A submission the caller may see, by id or reference; any other answers "not found", exactly
/// as a missing one does.
pub async fn get(state: &Desk, who: &StaffUser, key: &str) -> Result<SubmissionRow, TriageError> {
    if key.chars().any(char::is_control) {
        return Err(TriageError::NotFound);
    }
    let key = key.to_owned();
    let row = db::run(&state.pool, move |conn| store::find(conn, &key)).await?;
    row.filter(|r| may_see(state, who.role, &r.queue))
        .ok_or(TriageError::NotFound)
}

pub async fn record(state: &Desk, who: &StaffUser, key: &str) -> Result<Record, TriageError> {
    let row = get(state, who, key).await?;
    Ok(db::run(&state.pool, move |conn| store::record(conn, row)).await?)
}

/// A change asked for through `PATCH`.
#[derive(Debug, Default)]
pub struct Patch {
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    pub queue: Option<QueueName>,
    /// `Some(None)` unassigns.
    pub assignee: Option<Option<String>>,
}

/// Which version the client saw: from `If-Match` (412 when stale) or a `version` field (409).
#[derive(Debug, Clone, Copy)]
pub enum Expected {
    IfMatch(i32),
    Field(i32),
    Any,
}

pub async fn patch(
    state: &Desk,
    who: &StaffUser,
    key: &str,
    patch: Patch,
    expected: Expected,
) -> Result<SubmissionRow, TriageError> {
    let current = get(state, who, key).await?;
    let stale = match expected {
        Expected::IfMatch(v) if v != current.version => Some(TriageError::Stale),
        Expected::Field(v) if v != current.version => Some(version_conflict(current.version)),
        _ => None,
    };
    if let Some(e) = stale {
        return Err(e);
    }
    let now = db::now();
    let mut changes = SubmissionChanges {
        updated_at: Some(now),
        ..SubmissionChanges::default()
    };
    let mut audit = Vec::new();
    let mut release_mail: Option<NewOutboxRow> = None;
    let mut changed = |field: &str, from: serde_json::Value, to: serde_json::Value| {
        audit.push(event(
            &current.id,
            who,
            "changed",
            json!({"field": field, "from": from, "to": to}),
            now,
        ));
    };
    if let Some(to) = patch.status {
        let from =
            Status::parse(&current.status).map_err(|e| TriageError::Internal(e.to_string()))?;
        if from != to {
            if !from.can_move_to(to) {
                return Err(TriageError::IllegalTransition { from, to });
            }
            changes.status = Some(to.as_str().to_owned());
            changes.resolved_at = Some((to == Status::Resolved).then_some(now));
            changed("status", json!(from.as_str()), json!(to.as_str()));
            // Released from quarantine: the team hears of it now, once.
            if from == Status::Spam && to == Status::Open && current.spam_reason.is_some() {
                let id = current.id.clone();
                let notified = db::run(&state.pool, move |conn| {
                    store::has_mail(conn, &id, "team_notification")
                })
                .await?;
                if !notified {
                    release_mail = Some(
                        crate::desk::intake::team_notification_for(state, &current, now)
                            .map_err(|e| TriageError::Internal(e.to_string()))?,
                    );
                }
            }
        }
    }
    if let Some(to) = patch.priority {
        if to.as_str() != current.priority {
            changes.priority = Some(to.as_str().to_owned());
            changed("priority", json!(current.priority), json!(to.as_str()));
        }
    }
    let mut queue = current.queue.clone();
    if let Some(to) = patch.queue {
        if to.as_str() != current.queue {
            // Moving needs access to both queues; an unknown queue is as good as invisible.
            // And a submission stays on its form's desk: a tip never lands where sales can
            // read it, whoever moves it.
            let desk = FormKind::parse(&current.form)
                .map_err(|e| TriageError::Internal(format!("stored form: {e}")))?
                .desk();
            let target = state.settings.queues.get(to.as_str());
            if !may_see(state, who.role, to.as_str()) || target.is_none_or(|q| q.desk != desk) {
                return Err(TriageError::Forbidden);
            }
            queue = to.as_str().to_owned();
            changes.queue = Some(queue.clone());
            changed("queue", json!(current.queue), json!(queue));
        }
    }
    if let Some(to) = patch.assignee {
        if to != current.assignee_id {
            if let Some(user_id) = &to {
                let user_id = user_id.clone();
                let role = if user_id.chars().any(char::is_control) {
                    None
                } else {
                    db::run(&state.pool, move |conn| store::active_role(conn, &user_id)).await?
                };
                let allowed = role
                    .and_then(|r| Role::parse(&r).ok())
                    .is_some_and(|r| may_see(state, r, &queue));
                if !allowed {
                    let mut fields = crate::domain::FieldErrors::new();
                    fields.insert(
                        "assignee",
                        vec![crate::domain::FieldError::new(Msg::AssigneeNotAllowed)],
                    );
                    return Err(TriageError::Invalid(fields));
                }
            }
            changes.assignee_id = Some(to.clone());
            changed("assignee", json!(current.assignee_id), json!(to));
        }
    }
    // Changing the queue keeps an assignee only if they may see the new queue.
    if changes.queue.is_some() && changes.assignee_id.is_none() {
        if let Some(assignee) = current.assignee_id.clone() {
            let role =
                db::run(&state.pool, move |conn| store::active_role(conn, &assignee)).await?;
            if !role
                .and_then(|r| Role::parse(&r).ok())
                .is_some_and(|r| may_see(state, r, &queue))
            {
                changes.assignee_id = Some(None);
                changed("assignee", json!(current.assignee_id), json!(null));
            }
        }
    }
    if audit.is_empty() {
        return Ok(current);
    }
    let (id, version) = (current.id.clone(), current.version);
    let mails: Vec<NewOutboxRow> = release_mail.into_iter().collect();
    let wake = !mails.is_empty();
    let updated = db::run(&state.pool, move |conn| {
        Ok(
            match store::update(conn, &id, version, &changes, &audit, &mails)? {
                Some(row) => Ok(row),
                // Someone else won: report the version there is now.
                None => Err(store::find(conn, &id)?.map_or(version, |r| r.version)),
            },
        )
    })
    .await?;
    let row = updated.map_err(|now_at| match expected {
        Expected::IfMatch(_) => TriageError::Stale,
        _ => version_conflict(now_at),
    })?;
    if wake {
        state.outbox_wakeup.notify_one();
    }
    Ok(row)
}

fn version_conflict(current: i32) -> TriageError {
    TriageError::VersionConflict { current }
}

/// An internal note: kept with the submission, never e-mailed.
pub async fn add_note(
    state: &Desk,
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
        store::add_note(conn, &stored, &audit)
    })
    .await?;
    Ok(note)
}

fn single(field: &'static str, e: crate::domain::FieldError) -> TriageError {
    let mut fields = crate::domain::FieldErrors::new();
    fields.insert(field, vec![e]);
    TriageError::Invalid(fields)
}

/// A reply to the reader, through the outbox: from the queue's address, threaded under the
/// acknowledgement, with the reference in the subject.
pub async fn reply(
    state: &Desk,
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
    let queue = state
        .settings
        .queues
        .get(&submission.queue)
        .ok_or(TriageError::NotFound)?;
    let from = queue
        .address
        .clone()
        .unwrap_or_else(|| state.settings.mail.from.clone());
    let sender: lettre::message::Mailbox = from
        .parse()
        .map_err(|e: lettre::address::AddressError| TriageError::Internal(e.to_string()))?;
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
    let submission_id = submission.id.clone();
    let parent = db::run(&state.pool, move |conn| {
        store::acknowledgement_id(conn, &submission_id)
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
        purpose: "staff_reply".into(),
        from_addr: sender.to_string(),
        recipients: reader.to_string(),
        reply_to: None,
        subject: subject.clone(),
        body_text: rendered.text,
        body_html: rendered.html,
        message_id: message_id.clone(),
        in_reply_to: parent,
        status: db::outbox::PENDING.into(),
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
    db::run(&state.pool, move |conn| {
        store::add_reply(conn, &mail_row, &stored, &audit)
    })
    .await?;
    state.outbox_wakeup.notify_one();
    Ok(reply)
}

fn locale_of(s: &SubmissionRow) -> crate::domain::Locale {
    crate::domain::Locale::parse(&s.locale).unwrap_or(crate::domain::Locale::Fr)
}

/// Per visible queue: counts by status and the overdue count.
pub struct QueueView {
    pub name: String,
    pub label: String,
    pub desk: &'static str,
    pub counts: Vec<(String, i64)>,
    pub overdue: i64,
}

pub async fn queues(state: &Desk, who: &StaffUser) -> Result<Vec<QueueView>, TriageError> {
    let names = visible_queues(state, who.role);
    let now = db::now();
    let query_names = names.clone();
    let counts = db::run(&state.pool, move |conn| {
        store::queue_counts(conn, &query_names, now)
    })
    .await?;
    Ok(names
        .into_iter()
        .filter_map(|name| {
            let q = state.settings.queues.get(&name)?;
            let by_status = Status::ALL
                .iter()
                .map(|s| {
                    let n = counts
                        .by_status
                        .iter()
                        .find(|(queue, status, _)| *queue == name && status == s.as_str())
                        .map_or(0, |(_, _, n)| *n);
                    (s.as_str().to_owned(), n)
                })
                .collect();
            let overdue = counts
                .overdue
                .iter()
                .find(|(queue, _)| *queue == name)
                .map_or(0, |(_, n)| *n);
            Some(QueueView {
                label: q.label.clone(),
                desk: q.desk.as_str(),
                name,
                counts: by_status,
                overdue,
            })
        })
        .collect())
}
