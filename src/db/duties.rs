//! The right-of-reply escalations sent (`duty_reminders`), and the database's clock they (and
//! the leases, `leases.rs`) go by.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Timestamp;

use super::outbox::NewOutboxRow;
use super::schema::{duty_reminders, outbox, staff_users, submissions};
use super::{write_tx, DbConnection, DbError};
use crate::domain::{Desk, QueueName, Role, Status, Topic};

/// The database's clock, in the naive UTC that timestamps are stored in.
pub fn clock(conn: &mut DbConnection) -> Result<NaiveDateTime, DbError> {
    #[derive(QueryableByName)]
    struct Now {
        #[diesel(sql_type = Timestamp)]
        t: NaiveDateTime,
    }
    let now: Now = match conn {
        DbConnection::Pg(pg) => {
            diesel::sql_query("SELECT (now() AT TIME ZONE 'UTC')::timestamp AS t").get_result(pg)?
        }
        DbConnection::Sqlite(sq) => {
            diesel::sql_query("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now') AS t").get_result(sq)?
        }
    };
    Ok(now.t)
}

/// The three escalations of a right of reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminder {
    /// At receipt.
    Receipt,
    /// When `warn_before_hours` remain.
    Warning,
    /// The deadline has passed and it is still open.
    Breach,
}

impl Reminder {
    pub const ALL: [Reminder; 3] = [Reminder::Breach, Reminder::Warning, Reminder::Receipt];

    pub fn as_str(self) -> &'static str {
        match self {
            Reminder::Receipt => "receipt",
            Reminder::Warning => "warning",
            Reminder::Breach => "breach",
        }
    }
}

/// A right of reply owed an escalation.
#[derive(Debug, Clone, Queryable)]
pub struct DueReminder {
    pub submission_id: String,
    pub reference: String,
    pub queue: QueueName,
    pub created_at: NaiveDateTime,
    pub deadline_at: Option<NaiveDateTime>,
    pub article_url: Option<String>,
    pub flags: String,
    pub desk: Desk,
    pub status: Status,
    /// The assignee's address, role and state, if someone is assigned.
    pub assignee_email: Option<String>,
    pub assignee_role: Option<Role>,
    pub assignee_active: Option<bool>,
}

/// Up to `limit` open rights of reply owed this escalation at `now` (the database's clock) that
/// have not had it. A warning is owed only before the deadline: past it, the breach says more.
pub fn due(
    conn: &mut DbConnection,
    reminder: Reminder,
    now: NaiveDateTime,
    warn_before: chrono::Duration,
    limit: i64,
) -> Result<Vec<DueReminder>, DbError> {
    use diesel::dsl::{exists, not};
    use submissions::dsl as s;
    let sent = duty_reminders::table
        .filter(duty_reminders::submission_id.eq(s::id))
        .filter(duty_reminders::kind.eq(reminder.as_str()));
    let mut query = s::submissions
        .left_join(staff_users::table.on(staff_users::id.nullable().eq(s::assignee_id)))
        .filter(s::topic.eq(Topic::RightOfReply))
        .filter(s::status.ne_all([Status::Resolved, Status::Spam]))
        .filter(s::deadline_at.is_not_null())
        .filter(not(exists(sent)))
        .select((
            s::id,
            s::reference,
            s::queue,
            s::created_at,
            s::deadline_at,
            s::article_url,
            s::flags,
            s::desk,
            s::status,
            staff_users::email.nullable(),
            staff_users::role.nullable(),
            staff_users::active.nullable(),
        ))
        .into_boxed();
    match reminder {
        Reminder::Receipt => {}
        Reminder::Warning => {
            query = query
                .filter(s::deadline_at.le(now + warn_before))
                .filter(s::deadline_at.gt(now))
        }
        Reminder::Breach => query = query.filter(s::deadline_at.le(now)),
    }
    Ok(query
        .order((s::deadline_at.asc(), s::id.asc()))
        .limit(limit)
        .load(conn)?)
}

/// Records that the escalation was sent and writes its e-mail, in one transaction; `false`
/// (and nothing written) when another instance recorded it first.
pub fn record(
    conn: &mut DbConnection,
    submission_id: &str,
    reminder: Reminder,
    mail: &NewOutboxRow,
) -> Result<bool, DbError> {
    write_tx(conn, |conn| {
        let row = (
            duty_reminders::submission_id.eq(submission_id),
            duty_reminders::kind.eq(reminder.as_str()),
            duty_reminders::sent_at.eq(mail.created_at),
        );
        // Two instances inserting the same row: PostgreSQL makes the second wait for the
        // first's commit, then skips it; SQLite's write lock serialises them.
        let inserted = match conn {
            DbConnection::Pg(pg) => diesel::insert_into(duty_reminders::table)
                .values(row)
                .on_conflict_do_nothing()
                .execute(pg)?,
            DbConnection::Sqlite(sq) => diesel::insert_into(duty_reminders::table)
                .values(row)
                .on_conflict_do_nothing()
                .execute(sq)?,
        };
        if inserted == 0 {
            return Ok(false);
        }
        diesel::insert_into(outbox::table)
            .values(mail)
            .execute(conn)?;
        Ok(true)
    })
}

/// The escalations a submission has had, oldest first: (kind, when).
pub fn sent(
    conn: &mut DbConnection,
    submission_id: &str,
) -> Result<Vec<(String, NaiveDateTime)>, DbError> {
    Ok(duty_reminders::table
        .filter(duty_reminders::submission_id.eq(submission_id))
        .order(duty_reminders::sent_at.asc())
        .select((duty_reminders::kind, duty_reminders::sent_at))
        .load(conn)?)
}
