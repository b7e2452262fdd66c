//! Staff work on submissions: the filtered list, the full record, changes, notes and replies.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};

use super::events::{EventRow, NewEvent};
use super::messages::MessageRow;
use super::notes::NoteRow;
use super::outbox::NewOutboxRow;
use super::schema::{events, messages, notes, outbox, staff_users, submission_reads, submissions};
use super::submissions::SubmissionRow;
use super::{DbConnection, DbError};
pub use crate::domain::listing::{AssigneeFilter, ListFilter, Sort, View};
use crate::domain::{
    Channel, Desk, FormKind, MailPurpose, MailStatus, Priority, QueueName, Role, Status, Topic,
};

diesel::define_sql_function!(fn lower(x: Text) -> Text);
diesel::define_sql_function!(fn coalesce(x: Nullable<Text>, y: Text) -> Text);
diesel::define_sql_function!(fn substr(x: Text, start: diesel::sql_types::Integer, len: diesel::sql_types::Integer) -> Text);

/// One line of the staff list.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = submissions)]
pub struct SubmissionSummary {
    pub id: String,
    pub reference: String,
    pub form: FormKind,
    pub topic: Topic,
    pub queue: QueueName,
    pub status: Status,
    pub priority: Priority,
    pub name: String,
    pub email: String,
    pub subject: Option<String>,
    pub assignee_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deadline_at: Option<NaiveDateTime>,
    pub channel: Channel,
    pub last_activity_at: NaiveDateTime,
}

/// One page of the list, in the requested order, each line with when the viewer last opened
/// it (`None`: never).
pub fn list(
    conn: &mut DbConnection,
    f: &ListFilter,
) -> Result<Vec<(SubmissionSummary, Option<NaiveDateTime>)>, DbError> {
    use submission_reads::dsl as r;
    use submissions::dsl as s;
    let reads = r::submission_reads.on(r::submission_id
        .eq(s::id)
        .and(r::user_id.eq(f.viewer.clone())));
    let mut query = s::submissions
        .left_join(reads)
        .select((SubmissionSummary::as_select(), r::seen_at.nullable()))
        .filter(s::desk.eq_any(f.desks.clone()))
        .into_boxed();
    let closed = Status::closed_texts();
    match f.view {
        View::Todo => {
            let answered = s::last_staff_at
                .is_null()
                .or(s::last_reader_at.nullable().gt(s::last_staff_at));
            query = query.filter(
                s::status
                    .eq_any([Status::New, Status::Open])
                    .or(s::status.eq(Status::Waiting).and(answered)),
            );
        }
        View::Mine => {
            query = query
                .filter(s::assignee_id.eq(f.viewer.clone()))
                .filter(s::status.ne_all(closed.clone()));
        }
        View::Unassigned => {
            query = query
                .filter(s::assignee_id.is_null())
                .filter(s::status.ne_all(closed.clone()));
        }
        View::All => {}
    }
    if f.unread {
        query = query.filter(
            r::seen_at
                .nullable()
                .is_null()
                .or(r::seen_at.nullable().lt(s::last_activity_at.nullable())),
        );
    }
    if let Some(v) = &f.queue {
        query = query.filter(s::queue.eq(v.clone()));
    }
    if let Some(v) = f.status {
        query = query.filter(s::status.eq(v));
    }
    if let Some(v) = f.topic {
        query = query.filter(s::topic.eq(v));
    }
    if let Some(v) = f.form {
        query = query.filter(s::form.eq(v));
    }
    if let Some(v) = f.channel {
        query = query.filter(s::channel.eq(v));
    }
    match &f.assignee {
        Some(AssigneeFilter::User(id)) => query = query.filter(s::assignee_id.eq(id.clone())),
        Some(AssigneeFilter::Nobody) => query = query.filter(s::assignee_id.is_null()),
        None => {}
    }
    match f.overdue {
        Some(true) => {
            query = query
                .filter(s::deadline_at.lt(f.now))
                .filter(s::status.ne_all(closed))
        }
        Some(false) => {
            query = query.filter(
                s::deadline_at
                    .is_null()
                    .or(s::deadline_at.ge(f.now))
                    .or(s::status.eq_any(closed)),
            )
        }
        None => {}
    }
    if let Some(from) = f.from {
        query = query.filter(s::created_at.ge(from));
    }
    if let Some(to) = f.to {
        query = query.filter(s::created_at.lt(to));
    }
    if let Some(q) = &f.q {
        let pattern = format!("%{}%", escape_like(&q.to_lowercase()));
        query = query.filter(
            lower(s::reference)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(s::name).like(pattern.clone()).escape('\\'))
                .or(lower(s::email).like(pattern.clone()).escape('\\'))
                .or(lower(coalesce(s::subject, ""))
                    .like(pattern.clone())
                    .escape('\\'))
                .or(lower(s::message).like(pattern).escape('\\')),
        );
    }
    match (f.sort, &f.after) {
        (Sort::Newest, after) => {
            if let Some((created, id)) = after {
                // The first condition alone bounds the index range; the second settles ties.
                query = query
                    .filter(s::created_at.le(*created))
                    .filter(s::created_at.lt(*created).or(s::id.lt(id.clone())));
            }
            query = query.order((s::created_at.desc(), s::id.desc()));
        }
        (Sort::Deadline, after) => {
            query = query.filter(s::deadline_at.is_not_null());
            if let Some((due, id)) = after {
                query = query
                    .filter(s::deadline_at.ge(*due))
                    .filter(s::deadline_at.gt(*due).or(s::id.gt(id.clone())));
            }
            query = query.order((s::deadline_at.asc(), s::id.asc()));
        }
        (Sort::Activity, after) => {
            if let Some((at, id)) = after {
                query = query
                    .filter(s::last_activity_at.le(*at))
                    .filter(s::last_activity_at.lt(*at).or(s::id.lt(id.clone())));
            }
            query = query.order((s::last_activity_at.desc(), s::id.desc()));
        }
    }
    Ok(query.limit(f.limit).load(conn)?)
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// A submission by id or by public reference, on one of the caller's desks: one query whether
/// it is missing or hidden, so neither answer tells the other apart.
pub fn find(
    conn: &mut DbConnection,
    key: &str,
    desks: &[Desk],
) -> Result<Option<SubmissionRow>, DbError> {
    if !super::searchable(key) {
        return Ok(None);
    }
    Ok(submissions::table
        .filter(submissions::id.eq(key).or(submissions::reference.eq(key)))
        .filter(submissions::desk.eq_any(desks.to_vec()))
        .select(SubmissionRow::as_select())
        .first(conn)
        .optional()?)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct Delivery {
    pub id: String,
    pub purpose: MailPurpose,
    pub status: MailStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub message_id: String,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub from_addr: String,
    pub recipients: String,
    pub bounce_status: Option<String>,
    pub bounce_diagnostic: Option<String>,
    pub held_reason: Option<String>,
}

/// Everything staff see about one submission.
pub struct Record {
    pub submission: SubmissionRow,
    pub notes: Vec<NoteRow>,
    pub replies: Vec<MessageRow>,
    pub events: Vec<EventRow>,
    pub deliveries: Vec<Delivery>,
    /// The messages that came in on it (without their raw bytes).
    pub inbound: Vec<super::inbound_mail::InboundSummary>,
    /// When the reader withdrew the marketing opt-in, if they did.
    pub marketing_withdrawn_at: Option<NaiveDateTime>,
}

pub fn record(conn: &mut DbConnection, submission: SubmissionRow) -> Result<Record, DbError> {
    let id = submission.id.clone();
    Ok(Record {
        notes: notes::table
            .filter(notes::submission_id.eq(&id))
            .order((notes::created_at.asc(), notes::id.asc()))
            .select(NoteRow::as_select())
            .load(conn)?,
        replies: messages::table
            .filter(messages::submission_id.eq(&id))
            .order((messages::created_at.asc(), messages::id.asc()))
            .select(MessageRow::as_select())
            .load(conn)?,
        events: events::table
            .filter(events::submission_id.eq(&id))
            .order((events::created_at.asc(), events::id.asc()))
            .select(EventRow::as_select())
            .load(conn)?,
        deliveries: outbox::table
            .filter(outbox::submission_id.eq(&id))
            .order((outbox::created_at.asc(), outbox::id.asc()))
            .select(Delivery::as_select())
            .load(conn)?,
        inbound: super::inbound_mail::of_submission(conn, &id)?,
        marketing_withdrawn_at: submissions::table
            .find(&id)
            .select(submissions::marketing_withdrawn_at)
            .first(conn)?,
        submission,
    })
}

/// Changes to a submission; `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Default, Clone, AsChangeset)]
#[diesel(table_name = submissions)]
pub struct SubmissionChanges {
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    pub queue: Option<QueueName>,
    pub assignee_id: Option<Option<String>>,
    pub resolved_at: Option<Option<NaiveDateTime>>,
    pub updated_at: Option<NaiveDateTime>,
    pub article_published_at: Option<Option<chrono::NaiveDate>>,
    pub flags: Option<String>,
    pub outcome_kind: Option<Option<crate::domain::OutcomeKind>>,
    pub outcome: Option<Option<String>>,
    pub legal_hold: Option<bool>,
}

/// Applies changes if the submission is still at `version`; `None` when someone else changed
/// it first. Runs inside the caller's transaction (`db::transaction`), which read what it
/// checked.
pub fn update(
    conn: &mut DbConnection,
    id: &str,
    version: i32,
    changes: &SubmissionChanges,
    audit: &[NewEvent],
    mails: &[NewOutboxRow],
) -> Result<Option<SubmissionRow>, DbError> {
    {
        let updated = diesel::update(
            submissions::table
                .filter(submissions::id.eq(id))
                .filter(submissions::version.eq(version)),
        )
        .set((changes, submissions::version.eq(version + 1)))
        .execute(conn)?;
        if updated == 0 {
            return Ok(None);
        }
        for event in audit {
            diesel::insert_into(events::table)
                .values(&event.at_version(version + 1))
                .execute(conn)?;
        }
        for mail in mails {
            diesel::insert_into(outbox::table)
                .values(mail)
                .execute(conn)?;
        }
        Ok(Some(
            submissions::table
                .find(id)
                .select(SubmissionRow::as_select())
                .first(conn)?,
        ))
    }
}

/// Per queue: (queue, status, count) rows, and (queue, overdue count) rows.
pub struct QueueCounts {
    pub by_status: Vec<(String, String, i64)>,
    pub overdue: Vec<(String, i64)>,
}

/// Counts by queue and status, and overdue counts by queue.
pub fn queue_counts(
    conn: &mut DbConnection,
    queues: &[String],
    desks: &[Desk],
    now: NaiveDateTime,
) -> Result<QueueCounts, DbError> {
    use submissions::dsl as s;
    let by_status = s::submissions
        .filter(s::queue.eq_any(queues))
        .filter(s::desk.eq_any(desks.to_vec()))
        .group_by((s::queue, s::status))
        .select((s::queue, s::status, diesel::dsl::count_star()))
        .load(conn)?;
    let overdue = s::submissions
        .filter(s::queue.eq_any(queues))
        .filter(s::desk.eq_any(desks.to_vec()))
        .filter(s::deadline_at.lt(now))
        .filter(s::status.ne_all(Status::closed_texts()))
        .group_by(s::queue)
        .select((s::queue, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(QueueCounts { by_status, overdue })
}

/// An active account's role, for checking an assignee.
pub fn active_role(conn: &mut DbConnection, user_id: &str) -> Result<Option<Role>, DbError> {
    if !super::searchable(user_id) {
        return Ok(None);
    }
    Ok(staff_users::table
        .find(user_id)
        .filter(staff_users::active.eq(true))
        .select(staff_users::role)
        .first(conn)
        .optional()?)
}

/// Whether an e-mail for this purpose was ever written for the submission.
pub fn has_mail(
    conn: &mut DbConnection,
    submission: &str,
    purpose: MailPurpose,
) -> Result<bool, DbError> {
    use diesel::dsl::{exists, select};
    Ok(select(exists(
        outbox::table
            .filter(outbox::submission_id.eq(submission))
            .filter(outbox::purpose.eq(purpose)),
    ))
    .get_result(conn)?)
}

/// The first `chars` characters of each listed submission's message, by id.
pub fn previews(
    conn: &mut DbConnection,
    ids: &[String],
    chars: i32,
) -> Result<Vec<(String, String)>, DbError> {
    Ok(submissions::table
        .filter(submissions::id.eq_any(ids))
        .select((submissions::id, substr(submissions::message, 1, chars)))
        .load(conn)?)
}
