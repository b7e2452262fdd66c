//! Saved replies: admins write them, each for one desk and in one language; staff see those of
//! their desks and insert them into a reply, filled in for one submission. Every change is
//! audited in the log that accounts use (an event without a submission), so a deleted reply's
//! text stays on record.

use crate::domain::EventKind;
use serde_json::{json, Map, Value};

use crate::db::events::NewEvent;
use crate::db::saved_replies::{self as store, SavedReplyChanges, SavedReplyRow};
use crate::db::{self, DbError, Pool};
use crate::desk::triage;
use crate::desk::triage::TriageError;
use crate::desk::{Caller, Context, Denied};
use crate::domain::saved_reply::{check_variables, fill, Filling};
use crate::domain::{Desk, FieldErrors, Locale, MessageBody, OneLine, Zone};

/// The longest title, in characters.
pub const TITLE_MAX: usize = 200;

/// Why a saved reply was not shown, written or filled in.
#[derive(Debug, thiserror::Error)]
pub enum SavedReplyError {
    #[error("invalid fields")]
    Invalid(FieldErrors),
    /// Missing, or of a desk the caller may not see (the saved reply or the submission).
    #[error("not found")]
    NotFound,
    /// Writing saved replies is for admins.
    #[error("not allowed")]
    Forbidden,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<Denied> for SavedReplyError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::Forbidden => SavedReplyError::Forbidden,
            Denied::NotFound => SavedReplyError::NotFound,
        }
    }
}

/// A saved reply as staff see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedReply {
    pub id: String,
    pub title: String,
    pub desk: Desk,
    pub locale: Locale,
    /// As written, or filled in for a submission (`filled`).
    pub body: String,
}

impl From<SavedReplyRow> for SavedReply {
    fn from(r: SavedReplyRow) -> Self {
        SavedReply {
            id: r.id,
            title: r.title,
            desk: r.desk,
            locale: r.locale,
            body: r.body,
        }
    }
}

pub struct NewSavedReply {
    pub title: String,
    pub desk: Desk,
    pub locale: Locale,
    pub body: String,
}

/// A change; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct SavedReplyChange {
    pub title: Option<String>,
    pub desk: Option<Desk>,
    pub locale: Option<Locale>,
    pub body: Option<String>,
}

/// The title and the body as they are kept, each field's every problem collected.
fn checked(
    title: Option<&str>,
    body: Option<&str>,
) -> Result<(Option<String>, Option<String>), SavedReplyError> {
    let mut errors = FieldErrors::new();
    let title = title.and_then(|t| {
        OneLine::parse(t, TITLE_MAX)
            .map(OneLine::into_inner)
            .map_err(|e| errors.entry("title").or_default().push(e))
            .ok()
    });
    let body = body.and_then(|b| {
        let mut problems = Vec::new();
        if let Err(e) = MessageBody::parse(b) {
            problems.push(e);
        }
        problems.extend(check_variables(b));
        if problems.is_empty() {
            Some(b.to_owned())
        } else {
            errors.insert("body", problems);
            None
        }
    });
    if errors.is_empty() {
        Ok((title, body))
    } else {
        Err(SavedReplyError::Invalid(errors))
    }
}

fn audit(who: &Caller, kind: EventKind, detail: &Value) -> NewEvent {
    NewEvent::new(None, &who.id, kind, detail, db::now())
}

/// The saved replies of the caller's desks (an admin's: all), or of one of them.
pub async fn list(
    pool: &Pool,
    who: &Caller,
    desk: Option<Desk>,
) -> Result<Vec<SavedReply>, SavedReplyError> {
    let desks: Vec<Desk> = who
        .desks()
        .into_iter()
        .filter(|d| desk.is_none_or(|wanted| wanted == *d))
        .collect();
    let rows = db::run(pool, move |conn| store::list(conn, &desks)).await?;
    Ok(rows.into_iter().map(SavedReply::from).collect())
}

/// One saved reply of a desk the caller sees; any other is "not found".
pub async fn get(pool: &Pool, who: &Caller, id: &str) -> Result<SavedReply, SavedReplyError> {
    let id = id.to_owned();
    let row = db::run(pool, move |conn| store::by_id(conn, &id))
        .await?
        .ok_or(SavedReplyError::NotFound)?;
    who.may_see(row.desk)?;
    Ok(row.into())
}

/// Writes a new saved reply: admins only.
pub async fn create(
    pool: &Pool,
    who: &Caller,
    new: NewSavedReply,
) -> Result<SavedReply, SavedReplyError> {
    who.require_admin()?;
    // Both given, so both come back when valid.
    let (Some(title), Some(body)) = checked(Some(&new.title), Some(&new.body))? else {
        return Err(SavedReplyError::Invalid(FieldErrors::new()));
    };
    let now = db::now();
    let row = SavedReplyRow {
        id: uuid::Uuid::now_v7().to_string(),
        title,
        desk: new.desk,
        locale: new.locale,
        body,
        created_at: now,
        updated_at: now,
    };
    let event = audit(
        who,
        EventKind::SavedReplyCreated,
        &json!({"saved_reply": row.id, "title": row.title, "desk": row.desk,
            "locale": row.locale, "body": row.body}),
    );
    let stored = row.clone();
    db::run(pool, move |conn| store::insert(conn, &stored, &event)).await?;
    Ok(row.into())
}

/// Changes a saved reply: admins only. The audit event holds each changed field, before and
/// after; a change that changes nothing writes nothing.
pub async fn change(
    pool: &Pool,
    who: &Caller,
    id: &str,
    change: SavedReplyChange,
) -> Result<SavedReply, SavedReplyError> {
    who.require_admin()?;
    let (title, body) = checked(change.title.as_deref(), change.body.as_deref())?;
    let wanted = id.to_owned();
    let before = db::run(pool, move |conn| store::by_id(conn, &wanted))
        .await?
        .ok_or(SavedReplyError::NotFound)?;
    let mut detail = Map::new();
    let mut note = |field: &str, from: Value, to: Value| {
        if from != to {
            detail.insert(field.into(), json!({"from": from, "to": to}));
        }
    };
    if let Some(t) = &title {
        note("title", json!(before.title), json!(t));
    }
    if let Some(d) = change.desk {
        note("desk", json!(before.desk), json!(d));
    }
    if let Some(l) = change.locale {
        note("locale", json!(before.locale), json!(l));
    }
    if let Some(b) = &body {
        note("body", json!(before.body), json!(b));
    }
    if detail.is_empty() {
        return Ok(before.into());
    }
    detail.insert("saved_reply".into(), json!(id));
    let event = audit(who, EventKind::SavedReplyChanged, &Value::Object(detail));
    let changes = SavedReplyChanges {
        title,
        desk: change.desk,
        locale: change.locale,
        body,
        updated_at: Some(db::now()),
    };
    let id = id.to_owned();
    let row = db::run(pool, move |conn| store::change(conn, &id, &changes, &event)).await?;
    Ok(row.into())
}

/// Deletes a saved reply: admins only. Its last text stays in the audit event.
pub async fn delete(pool: &Pool, who: &Caller, id: &str) -> Result<(), SavedReplyError> {
    who.require_admin()?;
    let wanted = id.to_owned();
    let before = db::run(pool, move |conn| store::by_id(conn, &wanted))
        .await?
        .ok_or(SavedReplyError::NotFound)?;
    let event = audit(
        who,
        EventKind::SavedReplyDeleted,
        &json!({"saved_reply": before.id, "title": before.title, "desk": before.desk,
            "locale": before.locale, "body": before.body}),
    );
    let id = id.to_owned();
    db::run(pool, move |conn| store::delete(conn, &id, &event)).await?;
    Ok(())
}

/// What a submission fills a saved reply's variables with, for the caller inserting it.
fn filling(s: &triage::Submission, who: &Caller, zone: Zone) -> Filling {
    Filling {
        reference: s.reference.clone(),
        reader_name: s.name.clone(),
        article_title: s.article_title.clone().unwrap_or_default(),
        article_url: s.article_url.clone().unwrap_or_default(),
        deadline: s
            .deadline_at
            .map(|d| crate::mail::time_for_reader(d, s.locale, zone))
            .unwrap_or_default(),
        staff_name: who.display_name.clone(),
    }
}

/// A saved reply filled in for one submission (by id or reference). Both must be the caller's
/// to see; either missing or hidden is "not found".
pub async fn filled(
    state: &Context,
    who: &Caller,
    id: &str,
    submission: &str,
) -> Result<SavedReply, SavedReplyError> {
    let saved = get(&state.pool, who, id).await?;
    let s = triage::get(state, who, submission)
        .await
        .map_err(|e| match e {
            TriageError::Db(e) => SavedReplyError::Db(e),
            _ => SavedReplyError::NotFound,
        })?;
    Ok(SavedReply {
        body: fill(&saved.body, &filling(&s, who, state.settings.site.timezone)),
        ..saved
    })
}
