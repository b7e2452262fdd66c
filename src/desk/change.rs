//! One change to a submission, inside its transaction: the row read, every rule checked (the
//! workflow, who may be assigned, the duties), merged with what others changed since the
//! version the client read, and written with its audit events and e-mails, or nothing is. A
//! reply rides along in the same transaction (`Rider`).

use serde_json::json;

use crate::config::Settings;
use crate::db;
use crate::db::submissions::SubmissionRow;
use crate::db::triage::{self as store, SubmissionChanges};
use crate::desk::acts::{event, single, TriageError};
use crate::desk::outgoing::{About, Composer};
use crate::desk::Caller;
use crate::domain::{EventKind, MailPurpose, Msg, Priority, QueueName, Status};
use crate::mail::Facts;

/// A change asked for through `PATCH`.
#[derive(Debug, Default)]
pub struct Patch {
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    pub queue: Option<QueueName>,
    /// A user id, or `me` for the caller; `Some(None)` unassigns.
    pub assignee: Option<Option<String>>,
    /// The publication date and the outcome of a right of reply or correction.
    pub duties: crate::desk::closing::DutyPatch,
    /// Puts the submission on legal hold (or lifts it): the retention purge and the erasure
    /// leave a held submission alone.
    pub legal_hold: Option<bool>,
}

impl Patch {
    /// `me` as the assignee names the caller, whichever way the change came in.
    fn for_caller(mut self, who: &Caller) -> Patch {
        if let Some(Some(id)) = &mut self.assignee {
            if id == "me" {
                id.clone_from(&who.id);
            }
        }
        self
    }
}

/// Which version the client saw: from `If-Match` (412 when stale) or a `version` field (409
/// only when the change touches a field someone changed since; other changes merge).
#[derive(Debug, Clone, Copy)]
pub enum Expected {
    IfMatch(i32),
    Field(i32),
    Any,
}

/// What goes with a change in its transaction (a reply). A refusal of either step undoes the
/// whole act.
pub(crate) trait Rider {
    /// Before the change is checked and planned, with the row as read.
    fn check(
        &mut self,
        conn: &mut db::DbConnection,
        current: &SubmissionRow,
    ) -> Result<(), TriageError>;
    /// After the change's columns were written. Returns whether it wrote an e-mail.
    fn write(
        self: Box<Self>,
        conn: &mut db::DbConnection,
        current: &SubmissionRow,
    ) -> Result<bool, TriageError>;
}

/// A change being planned inside its transaction: the row as read, the columns to write, and
/// what goes with them (audit events, e-mails).
struct Plan<'a> {
    current: SubmissionRow,
    who: &'a Caller,
    now: chrono::NaiveDateTime,
    changes: SubmissionChanges,
    audit: Vec<crate::db::events::NewEvent>,
    mails: Vec<crate::db::outbox::NewOutboxRow>,
}

impl Plan<'_> {
    /// A field changed from one value to another, audited.
    fn changed(&mut self, field: &str, from: serde_json::Value, to: serde_json::Value) {
        self.audit.push(event(
            &self.current.id,
            self.who,
            EventKind::Changed,
            json!({"field": field, "from": from, "to": to}),
            self.now,
        ));
    }

    /// The status as this change leaves it so far.
    fn status_now(&self) -> Status {
        self.changes.status.unwrap_or(self.current.status)
    }

    /// A move of status, checked against the workflow. Released from quarantine, the team
    /// hears of the submission now, once.
    fn status(
        &mut self,
        conn: &mut db::DbConnection,
        outgoing: &Composer,
        to: Status,
    ) -> Result<(), TriageError> {
        let from = self.status_now();
        if !from.can_move_to(to) {
            return Err(TriageError::IllegalTransition { from, to });
        }
        self.changes.status = Some(to);
        self.changes.resolved_at = Some((to == Status::Resolved).then_some(self.now));
        self.changed("status", json!(from), json!(to));
        let current = &self.current;
        if from == Status::Spam
            && to == Status::Open
            && current.spam_reason.is_some()
            && !store::has_mail(conn, &current.id, MailPurpose::TeamNotification)?
        {
            // Released: no longer held, whatever the row read before this change says.
            let about = About {
                held: false,
                ..About::from(current)
            };
            let notice = outgoing
                .tell_team(about, &Facts::from(current), self.now)
                .map_err(|e| TriageError::Internal(e.to_string()))?;
            self.mails.extend(notice);
        }
        Ok(())
    }

    /// The first act on a `new` submission (a reply, an assignee) opens it, audited as the
    /// staff member's own change, unless the move asked for is one `new` allows by itself.
    /// Returns the move still to make.
    fn first_act(&mut self, acted: bool, asked: Option<Status>) -> Option<Status> {
        let from = self.current.status;
        if !acted || from != Status::New || asked.is_some_and(|to| from.can_move_to(to)) {
            return asked;
        }
        self.changes.status = Some(Status::Open);
        self.changes.resolved_at = Some(None);
        self.audit.push(event(
            &self.current.id,
            self.who,
            EventKind::Changed,
            json!({"field": "status", "from": from, "to": Status::Open, "why": "first_action"}),
            self.now,
        ));
        asked.filter(|to| *to != Status::Open)
    }

    /// A move to another queue: a submission stays on its own desk, whoever moves it (a tip
    /// never lands in a queue configured for sales); an unknown queue is as good as a
    /// forbidden one.
    fn queue(&mut self, settings: &Settings, to: QueueName) -> Result<(), TriageError> {
        let fits = settings
            .queues
            .get(to.as_str())
            .is_some_and(|q| q.desk == self.current.desk && self.who.sees(q.desk));
        if !fits {
            return Err(TriageError::Forbidden);
        }
        self.changed(
            "queue",
            json!(self.current.queue.as_str()),
            json!(to.as_str()),
        );
        self.changes.queue = Some(to);
        Ok(())
    }

    /// A new assignee (or none): only an account that may be told of the submission.
    fn assignee(
        &mut self,
        conn: &mut db::DbConnection,
        to: Option<String>,
    ) -> Result<(), TriageError> {
        if let Some(user) = &to {
            let may = store::active_role(conn, user)?
                .is_some_and(|r| crate::domain::may_hear_of(r, true, self.current.desk));
            if !may {
                return Err(single(
                    "assignee",
                    crate::domain::FieldError::new(Msg::AssigneeNotAllowed),
                ));
            }
        }
        self.changed("assignee", json!(self.current.assignee_id), json!(to));
        self.changes.assignee_id = Some(to);
        Ok(())
    }

    fn legal_hold(&mut self, to: bool) {
        self.changes.legal_hold = Some(to);
        let detail = json!({"field": "legal_hold", "from": self.current.legal_hold, "to": to});
        self.audit.push(event(
            &self.current.id,
            self.who,
            EventKind::LegalHold,
            detail,
            self.now,
        ));
    }
}

/// The field an event changed, as conflicts compare them; `None` for an event that does not
/// say (any change then overlaps it).
fn field_of(kind: EventKind, detail: &str) -> Option<String> {
    match kind {
        EventKind::Changed => serde_json::from_str::<serde_json::Value>(detail)
            .ok()?
            .get("field")?
            .as_str()
            .map(str::to_owned),
        EventKind::LegalHold => Some("legal_hold".into()),
        EventKind::ReopenedByReply => Some("status".into()),
        EventKind::Outcome => Some("outcome".into()),
        _ => None,
    }
}

/// The fields a change asks to set to something else than they are: what a stale `version`
/// may conflict on. The first act on a `new` submission moves its status.
fn touched(current: &SubmissionRow, patch: &Patch, acted: bool) -> Vec<&'static str> {
    let mut fields = Vec::new();
    let status = patch.status.is_some_and(|s| s != current.status);
    if status || (acted && current.status == Status::New) {
        fields.push("status");
    }
    if patch.priority.is_some_and(|p| p != current.priority) {
        fields.push("priority");
    }
    if patch.queue.as_ref().is_some_and(|q| *q != current.queue) {
        fields.push("queue");
    }
    if patch
        .assignee
        .as_ref()
        .is_some_and(|a| *a != current.assignee_id)
    {
        fields.push("assignee");
    }
    if patch.legal_hold.is_some_and(|h| h != current.legal_hold) {
        fields.push("legal_hold");
    }
    if patch
        .duties
        .article_published_at
        .is_some_and(|d| d != current.article_published_at)
    {
        fields.push("article_published_at");
    }
    if patch.duties.outcome.is_some() {
        fields.push("outcome");
    }
    fields
}

/// The version the client saw, checked against the row as read: `If-Match` is strict; a
/// stale `version` field is a conflict only when this change touches a field changed since
/// (non-overlapping changes merge), or when what changed since is not known.
fn check_version(
    conn: &mut db::DbConnection,
    current: &SubmissionRow,
    expected: Expected,
    mine: &[&str],
) -> Result<(), TriageError> {
    let conflict = TriageError::VersionConflict {
        current: current.version,
    };
    match expected {
        Expected::IfMatch(v) if v != current.version => Err(TriageError::Stale),
        Expected::Field(v) if v > current.version => Err(conflict),
        Expected::Field(v) if v < current.version && !mine.is_empty() => {
            let Some(theirs) =
                crate::db::events::changed_since(conn, &current.id, v, current.version)?
            else {
                return Err(conflict);
            };
            let overlap = theirs.iter().any(|(kind, detail)| {
                field_of(*kind, detail).is_none_or(|field| mine.contains(&field.as_str()))
            });
            if overlap {
                Err(conflict)
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

/// The body of `triage::patch` (and of a reply that changes the submission), inside its
/// transaction. Returns the row as it now is, and whether an e-mail was written.
#[allow(clippy::too_many_arguments)]
pub(crate) fn apply(
    conn: &mut db::DbConnection,
    settings: &Settings,
    outgoing: &Composer,
    who: &Caller,
    key: &str,
    patch: Patch,
    expected: Expected,
    mut rider: Option<Box<dyn Rider + '_>>,
) -> Result<(SubmissionRow, bool), TriageError> {
    let patch = patch.for_caller(who);
    let current = store::find(conn, key, &who.desks())?.ok_or(TriageError::NotFound)?;
    if let Expected::IfMatch(v) = expected {
        if v != current.version {
            return Err(TriageError::Stale);
        }
    }
    if let Some(rider) = rider.as_mut() {
        rider.check(conn, &current)?;
    }
    let assignee = patch
        .assignee
        .clone()
        .filter(|to| *to != current.assignee_id);
    // Replying or assigning someone is the first act that opens a `new` submission.
    let acted = rider.is_some() || assignee.as_ref().is_some_and(Option::is_some);
    check_version(conn, &current, expected, &touched(&current, &patch, acted))?;
    let now = db::now();
    let mut plan = Plan {
        changes: SubmissionChanges {
            updated_at: Some(now),
            ..SubmissionChanges::default()
        },
        current,
        who,
        now,
        audit: Vec::new(),
        mails: Vec::new(),
    };
    let asked = patch.status.filter(|to| *to != plan.current.status);
    if let Some(to) = plan.first_act(acted, asked) {
        plan.status(conn, outgoing, to)?;
    }
    if let Some(to) = patch.priority.filter(|to| *to != plan.current.priority) {
        plan.changes.priority = Some(to);
        plan.changed("priority", json!(plan.current.priority), json!(to));
    }
    if let Some(to) = patch.queue.clone().filter(|to| *to != plan.current.queue) {
        plan.queue(settings, to)?;
    }
    if let Some(to) = assignee {
        plan.assignee(conn, to)?;
    }
    if let Some(to) = patch.legal_hold.filter(|to| *to != plan.current.legal_hold) {
        plan.legal_hold(to);
    }
    finish(conn, outgoing, who, plan, patch, expected, rider)
}

/// The duties' part of the change, then the writes: the submission's columns, its events and
/// e-mails, and the rider.
fn finish(
    conn: &mut db::DbConnection,
    outgoing: &Composer,
    who: &Caller,
    plan: Plan<'_>,
    patch: Patch,
    expected: Expected,
    rider: Option<Box<dyn Rider + '_>>,
) -> Result<(SubmissionRow, bool), TriageError> {
    // The outcome's e-mail threads under the reader's acknowledgement.
    let parent = match patch.duties.outcome {
        Some(_) => crate::db::messages::acknowledgement_id(conn, &plan.current.id)?,
        None => None,
    };
    let moved_to = plan.changes.status;
    let Plan {
        current,
        mut changes,
        mut audit,
        mut mails,
        now,
        ..
    } = plan;
    let closing = crate::desk::closing::plan(
        outgoing,
        who,
        &current,
        moved_to,
        patch.duties,
        &mut changes,
        parent,
        now,
    )?;
    audit.extend(closing.audit);
    mails.extend(closing.mails);
    let mut wrote_mail = !mails.is_empty();
    let row = if audit.is_empty() {
        current.clone()
    } else {
        // A move or a hand to someone is activity on the triage list (a priority is not).
        if changes.status.is_some() || changes.assignee_id.is_some() {
            crate::db::activity::touch(
                conn,
                &current.id,
                crate::db::activity::Actor::Staff(&who.id),
                now,
            )?;
        }
        match store::update(conn, &current.id, current.version, &changes, &audit, &mails)? {
            Some(row) => {
                if let Some(correction) = &closing.correction {
                    crate::db::corrections::insert(conn, correction)?;
                }
                row
            }
            // The version was read in this transaction; only a concurrent writer on
            // PostgreSQL can get here.
            None => {
                return Err(match expected {
                    Expected::IfMatch(_) => TriageError::Stale,
                    _ => TriageError::VersionConflict {
                        current: current.version + 1,
                    },
                })
            }
        }
    };
    if let Some(rider) = rider {
        wrote_mail |= rider.write(conn, &current)?;
    }
    Ok((row, wrote_mail))
}
