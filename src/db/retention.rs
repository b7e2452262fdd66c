//! Retention: the submissions past their keeping period, their purge into a tombstone
//! (`tombstones`), the bodies of dead e-mails and unmatched inbound mail. Ages go by the
//! database's clock (the caller passes cutoffs computed from it).

use crate::domain::EventKind;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::events::NewEvent;
use super::schema::{
    duty_reminders, events, handovers, idempotency_keys, inbound_mail, messages, notes, outbox,
    submissions, tombstones,
};
use super::{DbConnection, DbError};
use crate::domain::{Channel, Desk, FormKind, MailStatus, OutcomeKind, QueueName, Status, Topic};

/// A submission the purge may take: what its tombstone keeps, and its version (the purge takes
/// it only if nobody changed it meanwhile).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = submissions)]
pub struct DueSubmission {
    pub id: String,
    pub reference: String,
    pub form: FormKind,
    pub topic: Topic,
    pub queue: QueueName,
    pub desk: Desk,
    pub channel: Channel,
    pub status: Status,
    pub version: i32,
    pub spam_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub first_response_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub deadline_at: Option<NaiveDateTime>,
    pub outcome_kind: Option<OutcomeKind>,
    pub outcome: Option<String>,
}

impl DueSubmission {
    /// Since when it has been in its status: its resolution for a resolved one, else its last
    /// change.
    pub fn since(&self) -> NaiveDateTime {
        match (self.status, self.resolved_at) {
            (Status::Resolved, Some(at)) => at,
            _ => self.updated_at,
        }
    }
}

/// Which submissions one retention rule reaches: a status on a desk (all its queues but those
/// that say otherwise), or on one queue.
#[derive(Debug, Clone)]
pub struct Reach<'a> {
    pub desk: Desk,
    pub status: Status,
    /// One queue only (a queue's own rule).
    pub queue: Option<&'a str>,
    /// Queues left to their own rule (for a desk's rule).
    pub except_queues: &'a [String],
    /// Those in the status since before this are due.
    pub cutoff: NaiveDateTime,
}

/// Up to `limit` submissions the rule reaches, oldest first, never one on legal hold.
pub fn due(
    conn: &mut DbConnection,
    reach: &Reach<'_>,
    limit: Option<i64>,
) -> Result<Vec<DueSubmission>, DbError> {
    use submissions::dsl as s;
    let mut query = s::submissions
        .filter(s::legal_hold.eq(false))
        .filter(s::desk.eq(reach.desk))
        .filter(s::status.eq(reach.status))
        .select(DueSubmission::as_select())
        .into_boxed();
    if let Some(queue) = reach.queue {
        query = query.filter(s::queue.eq(queue.to_owned()));
    }
    if !reach.except_queues.is_empty() {
        query = query.filter(s::queue.ne_all(reach.except_queues.to_vec()));
    }
    query = if reach.status == Status::Resolved {
        query.filter(
            s::resolved_at
                .lt(reach.cutoff)
                .or(s::resolved_at.is_null().and(s::updated_at.lt(reach.cutoff))),
        )
    } else {
        query.filter(s::updated_at.lt(reach.cutoff))
    };
    query = query.order((s::updated_at.asc(), s::id.asc()));
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    Ok(query.load(conn)?)
}

/// What is left of a purged submission.
#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = tombstones)]
pub struct TombstoneRow {
    pub submission_id: String,
    pub reference: String,
    pub form: FormKind,
    pub topic: Topic,
    pub queue: QueueName,
    pub desk: Desk,
    pub channel: Channel,
    pub status: Status,
    /// It was held as suspected spam when it came in.
    pub quarantined: bool,
    pub created_at: NaiveDateTime,
    pub first_response_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub deadline_at: Option<NaiveDateTime>,
    pub outcome_kind: Option<OutcomeKind>,
    /// The outcome without its free text (JSON).
    pub outcome: Option<String>,
    pub purged_at: NaiveDateTime,
    /// The rule that purged it, e.g. `editorial resolved: 24 months`.
    pub rule: String,
}

impl TombstoneRow {
    /// What is left of `d` once removed under `rule` (a purge's rule, or `erasure`), with its
    /// outcome already stripped of free text by the caller (`None` keeps only its kind).
    pub fn of(d: &DueSubmission, outcome: Option<String>, rule: &str, now: NaiveDateTime) -> Self {
        TombstoneRow {
            submission_id: d.id.clone(),
            reference: d.reference.clone(),
            form: d.form,
            topic: d.topic,
            queue: d.queue.clone(),
            desk: d.desk,
            channel: d.channel,
            status: d.status,
            quarantined: d.spam_reason.is_some(),
            created_at: d.created_at,
            first_response_at: d.first_response_at,
            resolved_at: d.resolved_at,
            deadline_at: d.deadline_at,
            outcome_kind: d.outcome_kind,
            outcome,
            purged_at: now,
            rule: rule.to_owned(),
        }
    }
}

/// How a purge rewrites the submission's audit trail: the event kinds whose details it keeps
/// as they are (ids, statuses, queues), the details of its `outcome` events (without free
/// text), and the event that records the purge. Every other event keeps its kind, actor and
/// time, and loses its details.
pub struct AuditKept<'a> {
    pub kinds: &'a [EventKind],
    pub outcome_detail: Option<String>,
    pub purged: NewEvent,
}

/// Purges one submission inside the caller's transaction, if it is still as read (same
/// version, not on legal hold): its messages (raw inbound mail included), notes, outbox rows,
/// idempotency keys, reminders and handover link go with it; the tombstone is written and the
/// audit trail rewritten. Returns whether it was purged.
pub fn purge(
    conn: &mut DbConnection,
    due: &DueSubmission,
    tombstone: &TombstoneRow,
    audit: &AuditKept<'_>,
) -> Result<bool, DbError> {
    use submissions::dsl as s;
    // Takes the row (a row lock on PostgreSQL until the commit) only if nobody changed it.
    let still = diesel::update(
        s::submissions
            .filter(s::id.eq(&due.id))
            .filter(s::version.eq(due.version))
            .filter(s::legal_hold.eq(false)),
    )
    .set(s::version.eq(due.version))
    .execute(conn)?;
    if still == 0 {
        return Ok(false);
    }
    let id = due.id.as_str();
    diesel::delete(messages::table.filter(messages::submission_id.eq(id))).execute(conn)?;
    diesel::delete(notes::table.filter(notes::submission_id.eq(id))).execute(conn)?;
    diesel::delete(inbound_mail::table.filter(inbound_mail::submission_id.eq(id))).execute(conn)?;
    diesel::delete(outbox::table.filter(outbox::submission_id.eq(id))).execute(conn)?;
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::submission_id.eq(id)))
        .execute(conn)?;
    diesel::delete(duty_reminders::table.filter(duty_reminders::submission_id.eq(id)))
        .execute(conn)?;
    diesel::delete(
        handovers::table.filter(
            handovers::editorial_id
                .eq(id)
                .or(handovers::commercial_id.eq(id)),
        ),
    )
    .execute(conn)?;
    // Corrections stay (they are public): the foreign key lets go of the submission.
    diesel::delete(s::submissions.filter(s::id.eq(id))).execute(conn)?;
    diesel::insert_into(tombstones::table)
        .values(tombstone)
        .execute(conn)?;
    let mut kept = audit.kinds.to_vec();
    kept.push(EventKind::Outcome);
    diesel::update(
        events::table
            .filter(events::submission_id.eq(id))
            .filter(events::kind.ne_all(kept)),
    )
    .set(events::detail.eq("{}"))
    .execute(conn)?;
    diesel::update(
        events::table
            .filter(events::submission_id.eq(id))
            .filter(events::kind.eq(EventKind::Outcome)),
    )
    .set(events::detail.eq(audit.outcome_detail.as_deref().unwrap_or("{}")))
    .execute(conn)?;
    diesel::insert_into(events::table)
        .values(&audit.purged)
        .execute(conn)?;
    Ok(true)
}

/// A purged submission's tombstone, by reference.
pub fn tombstone(
    conn: &mut DbConnection,
    reference: &str,
) -> Result<Option<TombstoneRow>, DbError> {
    Ok(tombstones::table
        .filter(tombstones::reference.eq(reference))
        .select(TombstoneRow::as_select())
        .first(conn)
        .optional()?)
}

/// Dead e-mails written before `cutoff` that still have their bodies, outside legal holds.
macro_rules! dead_with_bodies {
    ($cutoff:expr) => {
        outbox::table
            .filter(outbox::status.eq(MailStatus::Dead))
            .filter(outbox::created_at.lt($cutoff))
            .filter(outbox::body_text.ne(""))
            .filter(
                diesel::dsl::not(
                    outbox::submission_id.eq_any(
                        submissions::table
                            .select(submissions::id.nullable())
                            .filter(submissions::legal_hold.eq(true)),
                    ),
                )
                .or(outbox::submission_id.is_null()),
            )
    };
}

/// How many dead e-mails would lose their bodies.
pub fn dead_mail_due(conn: &mut DbConnection, cutoff: NaiveDateTime) -> Result<i64, DbError> {
    Ok(dead_with_bodies!(cutoff).count().get_result(conn)?)
}

/// Empties the bodies of dead e-mails written before `cutoff` (the row stays, for the
/// submission's delivery history; it can no longer be put back in the queue).
pub fn strip_dead_mail(conn: &mut DbConnection, cutoff: NaiveDateTime) -> Result<usize, DbError> {
    super::write(conn, |conn| {
        Ok(diesel::update(dead_with_bodies!(cutoff))
            .set((outbox::body_text.eq(""), outbox::body_html.eq("")))
            .execute(conn)?)
    })
}

/// How many inbound messages that matched no submission came before `cutoff`.
pub fn unmatched_due(conn: &mut DbConnection, cutoff: NaiveDateTime) -> Result<i64, DbError> {
    Ok(inbound_mail::table
        .filter(inbound_mail::submission_id.is_null())
        .filter(inbound_mail::created_at.lt(cutoff))
        .count()
        .get_result(conn)?)
}

/// Deletes the inbound messages that matched no submission and came before `cutoff`.
pub fn delete_unmatched(conn: &mut DbConnection, cutoff: NaiveDateTime) -> Result<usize, DbError> {
    super::write(conn, |conn| {
        Ok(diesel::delete(
            inbound_mail::table
                .filter(inbound_mail::submission_id.is_null())
                .filter(inbound_mail::created_at.lt(cutoff)),
        )
        .execute(conn)?)
    })
}

/// Whether a submission is on legal hold (`None`: no such submission). For the erasure, which
/// leaves held submissions alone as the purge does.
pub fn on_legal_hold(conn: &mut DbConnection, id: &str) -> Result<Option<bool>, DbError> {
    Ok(submissions::table
        .find(id)
        .select(submissions::legal_hold)
        .first(conn)
        .optional()?)
}
