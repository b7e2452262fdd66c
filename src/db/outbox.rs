//! The outbox claim and its outcomes. A claim is a lease: a worker that dies leaves jobs that
//! any worker may take again once the lease expires.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::outbox;
use super::{write_tx, DbConnection, DbError};

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const DEAD: &str = "dead";

const CLAIM_PG: &str =
    "UPDATE outbox SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 \
    WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $3 \
    AND (lease_until IS NULL OR lease_until <= $3) ORDER BY next_attempt_at LIMIT $4 \
    FOR UPDATE SKIP LOCKED) RETURNING *";

const CLAIM_SQLITE: &str =
    "UPDATE outbox SET lease_owner = ?1, lease_until = ?2, attempts = attempts + 1 \
    WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?3 \
    AND (lease_until IS NULL OR lease_until <= ?3) ORDER BY next_attempt_at LIMIT ?4) RETURNING *";

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxJob {
    pub id: String,
    pub submission_id: String,
    pub purpose: String,
    pub from_addr: String,
    pub recipients: String,
    pub reply_to: Option<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub attempts: i32,
    pub created_at: NaiveDateTime,
}

/// Leases up to `limit` due jobs to `owner` and counts the attempt. PostgreSQL skips rows other
/// workers hold; SQLite takes its write lock first (an immediate transaction).
pub fn claim(
    conn: &mut DbConnection,
    owner: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> Result<Vec<OutboxJob>, DbError> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    let jobs = match conn {
        DbConnection::Pg(pg) => diesel::sql_query(CLAIM_PG)
            .bind::<Text, _>(owner)
            .bind::<Timestamp, _>(lease_until)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .load(pg)?,
        DbConnection::Sqlite(_) => write_tx(conn, |conn| {
            let DbConnection::Sqlite(sq) = conn else {
                return Ok(Vec::new());
            };
            diesel::sql_query(CLAIM_SQLITE)
                .bind::<Text, _>(owner)
                .bind::<Timestamp, _>(lease_until)
                .bind::<Timestamp, _>(now)
                .bind::<BigInt, _>(limit)
                .load(sq)
        })?,
    };
    Ok(jobs)
}

/// Marks jobs delivered; only those this owner still holds.
pub fn mark_sent(
    conn: &mut DbConnection,
    owner: &str,
    ids: &[String],
    now: NaiveDateTime,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        outbox::table
            .filter(outbox::id.eq_any(ids))
            .filter(outbox::lease_owner.eq(owner)),
    )
    .set((
        outbox::status.eq(SENT),
        outbox::sent_at.eq(now),
        outbox::lease_owner.eq(None::<String>),
        outbox::lease_until.eq(None::<NaiveDateTime>),
        outbox::last_error.eq(None::<String>),
    ))
    .execute(conn)?)
}

/// Records a failed attempt: pending again at `next_attempt_at`, or dead when `next` is `None`.
pub fn mark_failed(
    conn: &mut DbConnection,
    owner: &str,
    id: &str,
    next_attempt_at: Option<NaiveDateTime>,
    error: &str,
) -> Result<usize, DbError> {
    let target = outbox::table
        .filter(outbox::id.eq(id))
        .filter(outbox::lease_owner.eq(owner));
    let release = (
        outbox::lease_owner.eq(None::<String>),
        outbox::lease_until.eq(None::<NaiveDateTime>),
        outbox::last_error.eq(error),
    );
    Ok(match next_attempt_at {
        Some(at) => diesel::update(target)
            .set((release, outbox::next_attempt_at.eq(at)))
            .execute(conn)?,
        None => diesel::update(target)
            .set((release, outbox::status.eq(DEAD)))
            .execute(conn)?,
    })
}

/// Gives back every lease an owner still holds, so a stopping worker's jobs are due at once
/// elsewhere. Those jobs were never tried (tried ones had their lease cleared with their
/// outcome), so the attempt their claim counted is given back too.
pub fn release_all(conn: &mut DbConnection, owner: &str) -> Result<usize, DbError> {
    Ok(
        diesel::update(outbox::table.filter(outbox::lease_owner.eq(owner)))
            .set((
                outbox::lease_owner.eq(None::<String>),
                outbox::lease_until.eq(None::<NaiveDateTime>),
                outbox::attempts.eq(outbox::attempts - 1),
            ))
            .execute(conn)?,
    )
}

/// A job that gave up, for operators.
#[derive(Debug, Clone, Queryable)]
pub struct DeadJob {
    pub id: String,
    pub reference: String,
    pub purpose: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn dead_jobs(conn: &mut DbConnection) -> Result<Vec<DeadJob>, DbError> {
    use super::schema::submissions;
    Ok(outbox::table
        .inner_join(submissions::table)
        .filter(outbox::status.eq(DEAD))
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
        outbox::status.eq(PENDING),
        outbox::attempts.eq(0),
        outbox::next_attempt_at.eq(now),
        outbox::lease_owner.eq(None::<String>),
        outbox::lease_until.eq(None::<NaiveDateTime>),
    );
    let dead = outbox::table.filter(outbox::status.eq(DEAD));
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
    pub by_status: Vec<(String, i64)>,
    pub oldest_pending: Option<NaiveDateTime>,
}

pub fn stats(conn: &mut DbConnection) -> Result<OutboxStats, DbError> {
    use diesel::dsl::{count_star, min};
    let by_status = outbox::table
        .group_by(outbox::status)
        .select((outbox::status, count_star()))
        .load::<(String, i64)>(conn)?;
    let oldest_pending = outbox::table
        .filter(outbox::status.eq(PENDING))
        .select(min(outbox::created_at))
        .first::<Option<NaiveDateTime>>(conn)?;
    Ok(OutboxStats {
        by_status,
        oldest_pending,
    })
}
