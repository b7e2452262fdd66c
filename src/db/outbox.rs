//! The outbox claim and its outcomes. A claim is a lease: a worker that dies leaves jobs that
//! any worker may take again once the lease expires. Leases are written and compared by the
//! database's clock, never an instance's own: instances whose clocks disagree still agree on
//! whose lease has run out.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::schema::{outbox, staff_users, submissions};
use super::{DbConnection, DbError};
use crate::domain::{Desk, MailPurpose, MailStatus, QueueName, Role};

/// The database's clock, in the naive UTC that timestamps are stored in. SQLite's is the clock
/// of the one host whose file it is; its text compares in order with what diesel writes.
macro_rules! pg_now {
    () => {
        "(now() AT TIME ZONE 'UTC')"
    };
}
macro_rules! sqlite_now {
    () => {
        "strftime('%Y-%m-%d %H:%M:%f', 'now')"
    };
}

/// The due jobs are picked in a materialized CTE, run once: as `id IN (SELECT … LIMIT n FOR
/// UPDATE SKIP LOCKED)`, a plan that rescans the subquery for each row (a nested-loop semi
/// join) skips the rows this very statement has just updated and takes more than n.
const CLAIM_PG: &str = concat!(
    "WITH picked AS MATERIALIZED (SELECT id FROM outbox WHERE status = 'pending' \
     AND next_attempt_at <= ",
    pg_now!(),
    " AND (lease_until IS NULL OR lease_until <= ",
    pg_now!(),
    ") ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
     UPDATE outbox SET lease_owner = $1, lease_until = ",
    pg_now!(),
    " + $2 * INTERVAL '1 millisecond', attempts = attempts + 1 \
     FROM picked WHERE outbox.id = picked.id RETURNING outbox.*"
);

/// SQLite runs an uncorrelated `IN` subquery once, inside its write lock.
const CLAIM_SQLITE: &str = concat!(
    "UPDATE outbox SET lease_owner = ?1, lease_until = strftime('%Y-%m-%d %H:%M:%f', 'now', \
     (?2 / 1000.0) || ' seconds'), attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ",
    sqlite_now!(),
    " AND (lease_until IS NULL OR lease_until <= ",
    sqlite_now!(),
    ") ORDER BY next_attempt_at LIMIT ?3) RETURNING *"
);

const RENEW_PG: &str = concat!(
    "UPDATE outbox SET lease_until = ",
    pg_now!(),
    " + $2 * INTERVAL '1 millisecond' WHERE lease_owner = $1 AND status = 'pending'"
);
const RENEW_SQLITE: &str = "UPDATE outbox SET lease_until = strftime('%Y-%m-%d %H:%M:%f', \
     'now', (?2 / 1000.0) || ' seconds') WHERE lease_owner = ?1 AND status = 'pending'";

const SENT_PG: &str = concat!(
    "UPDATE outbox SET status = 'sent', sent_at = ",
    pg_now!(),
    ", lease_owner = NULL, lease_until = NULL, last_error = NULL \
     WHERE id = $1 AND lease_owner = $2"
);
const SENT_SQLITE: &str = concat!(
    "UPDATE outbox SET status = 'sent', sent_at = ",
    sqlite_now!(),
    ", lease_owner = NULL, lease_until = NULL, last_error = NULL \
     WHERE id = ?1 AND lease_owner = ?2"
);

const RETRY_PG: &str = concat!(
    "UPDATE outbox SET next_attempt_at = ",
    pg_now!(),
    " + $4 * INTERVAL '1 millisecond', last_error = $3, lease_owner = NULL, \
     lease_until = NULL WHERE id = $1 AND lease_owner = $2"
);
const RETRY_SQLITE: &str = "UPDATE outbox SET next_attempt_at = strftime('%Y-%m-%d %H:%M:%f', \
     'now', (?4 / 1000.0) || ' seconds'), last_error = ?3, lease_owner = NULL, \
     lease_until = NULL WHERE id = ?1 AND lease_owner = ?2";

/// An e-mail waiting in the outbox.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox)]
pub struct NewOutboxRow {
    pub id: String,
    /// `None` for an e-mail about no submission (an account's invitation).
    pub submission_id: Option<String>,
    pub purpose: MailPurpose,
    pub from_addr: String,
    pub recipients: String,
    pub reply_to: Option<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    /// The one-click opt-out URL (List-Unsubscribe) of a commercial e-mail.
    pub list_unsubscribe: Option<String>,
    pub status: MailStatus,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxJob {
    pub id: String,
    pub submission_id: Option<String>,
    pub purpose: MailPurpose,
    pub from_addr: String,
    pub recipients: String,
    pub reply_to: Option<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub list_unsubscribe: Option<String>,
    pub attempts: i32,
    pub created_at: NaiveDateTime,
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Leases up to `limit` due jobs to `owner` for `lease`, oldest first, and counts the attempt.
/// PostgreSQL skips rows other workers hold; SQLite takes its write lock first (an immediate
/// transaction).
pub fn claim(
    conn: &mut DbConnection,
    owner: &str,
    lease: Duration,
    limit: i64,
) -> Result<Vec<OutboxJob>, DbError> {
    // A lost claim is claimed again when its lease runs out: see `write_relaxed`.
    let mut jobs: Vec<OutboxJob> = super::write_relaxed(conn, |conn| {
        let query = |sql: &'static str| {
            diesel::sql_query(sql)
                .bind::<Text, _>(owner)
                .bind::<BigInt, _>(millis(lease))
                .bind::<BigInt, _>(limit)
        };
        Ok(match conn {
            DbConnection::Pg(pg) => query(CLAIM_PG).load(pg)?,
            DbConnection::Sqlite(sq) => query(CLAIM_SQLITE).load(sq)?,
        })
    })?;
    // RETURNING keeps no order.
    jobs.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(jobs)
}

/// Extends, to `lease` from now, every lease `owner` still holds; returns how many.
pub fn renew(conn: &mut DbConnection, owner: &str, lease: Duration) -> Result<usize, DbError> {
    let query = |sql| {
        diesel::sql_query(sql)
            .bind::<Text, _>(owner.to_owned())
            .bind::<BigInt, _>(millis(lease))
    };
    Ok(match conn {
        DbConnection::Pg(pg) => query(RENEW_PG).execute(pg)?,
        DbConnection::Sqlite(sq) => query(RENEW_SQLITE).execute(sq)?,
    })
}

/// Marks a job delivered, if this owner still holds it.
pub fn mark_sent(conn: &mut DbConnection, owner: &str, id: &str) -> Result<usize, DbError> {
    let query = |sql| {
        diesel::sql_query(sql)
            .bind::<Text, _>(id.to_owned())
            .bind::<Text, _>(owner.to_owned())
    };
    Ok(match conn {
        DbConnection::Pg(pg) => query(SENT_PG).execute(pg)?,
        DbConnection::Sqlite(sq) => query(SENT_SQLITE).execute(sq)?,
    })
}

/// Marks several jobs delivered in one statement, those this owner still holds: the outcomes
/// that came in while the previous write was under way.
pub fn mark_all_sent(conn: &mut DbConnection, owner: &str, ids: &[&str]) -> Result<usize, DbError> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Nullable, Timestamp};
    let clock = match conn {
        DbConnection::Pg(_) => pg_now!(),
        DbConnection::Sqlite(_) => sqlite_now!(),
    };
    Ok(diesel::update(
        outbox::table
            .filter(outbox::id.eq_any(ids))
            .filter(outbox::lease_owner.eq(owner)),
    )
    .set((
        outbox::status.eq(MailStatus::Sent),
        outbox::sent_at.eq(sql::<Nullable<Timestamp>>(clock)),
        outbox::lease_owner.eq(None::<String>),
        outbox::lease_until.eq(None::<NaiveDateTime>),
        outbox::last_error.eq(None::<String>),
    ))
    .execute(conn)?)
}

/// Records a failed attempt: pending again `retry_in` from now, or dead when it is `None`.
pub fn mark_failed(
    conn: &mut DbConnection,
    owner: &str,
    id: &str,
    retry_in: Option<Duration>,
    error: &str,
) -> Result<usize, DbError> {
    let Some(retry_in) = retry_in else {
        return Ok(diesel::update(
            outbox::table
                .filter(outbox::id.eq(id))
                .filter(outbox::lease_owner.eq(owner)),
        )
        .set((
            outbox::status.eq(MailStatus::Dead),
            outbox::lease_owner.eq(None::<String>),
            outbox::lease_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(error),
        ))
        .execute(conn)?);
    };
    let query = |sql| {
        diesel::sql_query(sql)
            .bind::<Text, _>(id.to_owned())
            .bind::<Text, _>(owner.to_owned())
            .bind::<Text, _>(error.to_owned())
            .bind::<BigInt, _>(millis(retry_in))
    };
    Ok(match conn {
        DbConnection::Pg(pg) => query(RETRY_PG).execute(pg)?,
        DbConnection::Sqlite(sq) => query(RETRY_SQLITE).execute(sq)?,
    })
}

/// Gives back jobs an owner claimed but never handed to the transport, so they are due at once
/// elsewhere, with the attempt their claim counted. Only those: a job that was tried and whose
/// outcome could not be recorded keeps its lease, or it would go out again at once.
pub fn release(conn: &mut DbConnection, owner: &str, ids: &[String]) -> Result<usize, DbError> {
    Ok(diesel::update(
        outbox::table
            .filter(outbox::id.eq_any(ids))
            .filter(outbox::lease_owner.eq(owner)),
    )
    .set((
        outbox::lease_owner.eq(None::<String>),
        outbox::lease_until.eq(None::<NaiveDateTime>),
        outbox::attempts.eq(outbox::attempts - 1),
    ))
    .execute(conn)?)
}

/// A job that gave up, for operators.
#[derive(Debug, Clone, Queryable)]
pub struct DeadJob {
    pub id: String,
    pub reference: String,
    pub purpose: MailPurpose,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn dead_jobs(conn: &mut DbConnection) -> Result<Vec<DeadJob>, DbError> {
    use super::schema::submissions;
    Ok(outbox::table
        .inner_join(submissions::table)
        .filter(outbox::status.eq(MailStatus::Dead))
        .order(outbox::created_at.asc())
        .select((
            outbox::id,
            submissions::reference,
            outbox::purpose,
            outbox::attempts,
            outbox::last_error,
            outbox::created_at,
        ))
        .load(conn)?)
}

/// Puts dead jobs (one, or all) back in the queue, due now, with a fresh count of attempts.
pub fn requeue_dead(
    conn: &mut DbConnection,
    id: Option<&str>,
    now: NaiveDateTime,
) -> Result<usize, DbError> {
    let changes = (
        outbox::status.eq(MailStatus::Pending),
        outbox::attempts.eq(0),
        outbox::next_attempt_at.eq(now),
        outbox::lease_owner.eq(None::<String>),
        outbox::lease_until.eq(None::<NaiveDateTime>),
    );
    // Held e-mails (the reader's address bounced) stay held; those whose bodies retention
    // emptied cannot be sent again.
    let dead = outbox::table
        .filter(outbox::status.eq(MailStatus::Dead))
        .filter(outbox::held_reason.is_null())
        .filter(outbox::body_text.ne(""));
    Ok(match id {
        Some(id) => diesel::update(dead.filter(outbox::id.eq(id)))
            .set(changes)
            .execute(conn)?,
        None => diesel::update(dead).set(changes).execute(conn)?,
    })
}

/// The outbox at a glance, for `/metrics`: jobs by state, and when the oldest pending one was
/// written.
pub struct OutboxStats {
    pub by_status: Vec<(MailStatus, i64)>,
    pub oldest_pending: Option<NaiveDateTime>,
}

pub fn stats(conn: &mut DbConnection) -> Result<OutboxStats, DbError> {
    use diesel::dsl::{count_star, min};
    let by_status = outbox::table
        .group_by(outbox::status)
        .select((outbox::status, count_star()))
        .load::<(MailStatus, i64)>(conn)?;
    let oldest_pending = outbox::table
        .filter(outbox::status.eq(MailStatus::Pending))
        .select(min(outbox::created_at))
        .first::<Option<NaiveDateTime>>(conn)?;
    Ok(OutboxStats {
        by_status,
        oldest_pending,
    })
}

/// Who staff e-mails about these submissions may reach now: each submission's desk and queue,
/// and every account's address (as stored, folded) with its role and state. The staff table is
/// a newsroom's, tens of rows.
#[allow(clippy::type_complexity)]
pub fn audience(
    conn: &mut DbConnection,
    submission_ids: &[String],
) -> Result<(Vec<(String, Desk, QueueName)>, Vec<(String, Role, bool)>), DbError> {
    let places = submissions::table
        .filter(submissions::id.eq_any(submission_ids))
        .select((submissions::id, submissions::desk, submissions::queue))
        .load(conn)?;
    let accounts = staff_users::table
        .select((staff_users::email, staff_users::role, staff_users::active))
        .load(conn)?;
    Ok((places, accounts))
}
