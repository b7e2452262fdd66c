//! The newsroom's numbers for a period, computed in SQL on both backends. Purged submissions
//! count through their tombstones, so a report reads the same before and after a purge.
//!
//! SQLite (the system's, 3.40 on Debian 12) counts seconds from `julianday`, which keeps
//! milliseconds: the difference is rounded to the millisecond.
//!
//! Percentiles are PostgreSQL's `percentile_cont` (linear interpolation between the two nearest
//! ranks). SQLite has none, so it computes the same value from ranks: with the n values sorted
//! and numbered from 0 (`ROW_NUMBER() - 1`), the p-th percentile sits at h = p·(n−1); it is
//! the value of rank ⌊h⌋ plus (h − ⌊h⌋) times the step to rank ⌊h⌋+1.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text, Timestamp};

use super::{DbConnection, DbError};
use crate::domain::{Desk, EventKind};

/// The period, `[from, to)`, the desks it covers, and the database's clock (for what is still
/// open past its deadline).
#[derive(Debug, Clone)]
pub struct Period {
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
    pub desks: Vec<Desk>,
    pub now: NaiveDateTime,
}

/// Submissions received, spam left out, by queue, topic and channel together.
#[derive(Debug, Clone, QueryableByName)]
pub struct Received {
    #[diesel(sql_type = Text)]
    pub queue: String,
    #[diesel(sql_type = Text)]
    pub topic: String,
    #[diesel(sql_type = Text)]
    pub channel: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// First-response times, in seconds, of the submissions received that had one.
#[derive(Debug, Clone, Default, PartialEq, QueryableByName)]
pub struct FirstResponse {
    #[diesel(sql_type = BigInt)]
    pub responded: i64,
    #[diesel(sql_type = Nullable<Double>)]
    pub median: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub p90: Option<f64>,
}

/// The rights of reply received, and what became of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, QueryableByName)]
pub struct RightOfReply {
    #[diesel(sql_type = BigInt)]
    pub received: i64,
    #[diesel(sql_type = BigInt)]
    pub inserted: i64,
    #[diesel(sql_type = BigInt)]
    pub refused: i64,
    /// Not resolved yet.
    #[diesel(sql_type = BigInt)]
    pub open: i64,
    /// Resolved after their deadline, or still open past it.
    #[diesel(sql_type = BigInt)]
    pub breaches: i64,
}

/// Counts of the period that are not about submissions received in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, QueryableByName)]
pub struct Activity {
    /// Corrections closed (and published) in the period.
    #[diesel(sql_type = BigInt)]
    pub corrections: i64,
    /// Submissions put in quarantine in the period: held at intake, or moved to spam by staff.
    #[diesel(sql_type = BigInt)]
    pub quarantined: i64,
    /// Submissions released from quarantine in the period.
    #[diesel(sql_type = BigInt)]
    pub released: i64,
}

/// Everything the report shows.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub received: Vec<Received>,
    pub first_response: FirstResponse,
    pub right_of_reply: RightOfReply,
    pub activity: Activity,
}

/// `desk IN (…)` for the desks asked: closed-set names, never input, so written inline.
fn desks_in(column: &str, desks: &[Desk]) -> String {
    if desks.is_empty() {
        return "FALSE".into();
    }
    let names: Vec<String> = desks.iter().map(|d| format!("'{}'", d.as_str())).collect();
    format!("{column} IN ({})", names.join(", "))
}

/// Submissions and tombstones received in the period on the desks asked, as one relation;
/// `and` narrows both sides (written into each, so that a partial index can serve it).
fn received_rows(p: &Period, columns: &str, and: &str) -> String {
    let desks = desks_in("desk", &p.desks);
    format!(
        "(SELECT {columns} FROM submissions WHERE created_at >= {{from}} AND created_at < {{to}} \
         AND {desks}{and} \
         UNION ALL \
         SELECT {columns} FROM tombstones WHERE created_at >= {{from}} AND created_at < {{to}} \
         AND {desks}{and})"
    )
}

/// A bound as SQLite can compare it. SQLite keeps times as text (`YYYY-MM-DD HH:MM:SS.ffffff`),
/// which sorts as time only while the year has four digits: the end of a period closing on
/// 9999-12-31 is 10000-01-01, whose text (`+10000-…`) sorted before every stored time, and the
/// period counted nothing. Every stored time lies within years 0 to 9999, so a bound outside
/// them is moved to their edge: the same rows compare on either side of it (but for one at
/// 9999-12-31 23:59:59.999999 exactly, past a period's end at the edge).
fn sqlite_sortable(t: NaiveDateTime) -> NaiveDateTime {
    let first = NaiveDate::from_ymd_opt(0, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
    let last = NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_micro_opt(23, 59, 59, 999_999));
    match (first, last) {
        (Some(first), Some(last)) => t.clamp(first, last),
        _ => t,
    }
}

/// A query written with `{from}`, `{to}` and `{now}`, numbered for the backend (`$n` or `?n`)
/// with the values to bind in order: only those it names.
fn numbered(sql: &str, mark: &str, p: &Period) -> (String, Vec<NaiveDateTime>) {
    let mut sql = sql.to_owned();
    let mut values = Vec::new();
    for (name, value) in [("{from}", p.from), ("{to}", p.to), ("{now}", p.now)] {
        if sql.contains(name) {
            values.push(value);
            sql = sql.replace(name, &format!("{mark}{}", values.len()));
        }
    }
    (sql, values)
}

/// Runs a query written with `{from}`, `{to}` and `{now}` on either backend.
macro_rules! run_query {
    ($conn:expr, $sql:expr, $p:expr, $row:ty, $load:ident) => {{
        match $conn {
            DbConnection::Pg(pg) => {
                let (sql, values) = numbered(&$sql, "$", $p);
                let mut q = diesel::sql_query(sql).into_boxed::<diesel::pg::Pg>();
                for v in values {
                    q = q.bind::<Timestamp, _>(v);
                }
                q.$load::<$row>(pg)?
            }
            DbConnection::Sqlite(sq) => {
                let (sql, values) = numbered(&$sql, "?", $p);
                let mut q = diesel::sql_query(sql).into_boxed::<diesel::sqlite::Sqlite>();
                for v in values {
                    q = q.bind::<Timestamp, _>(sqlite_sortable(v));
                }
                q.$load::<$row>(sq)?
            }
        }
    }};
}

/// The whole report for a period.
///
/// On PostgreSQL it runs in one transaction (one snapshot for every figure), with room enough
/// to sort a year of first-response times in memory: at the default `work_mem` (4 MB) the sort
/// of 250,000 of them went to disk.
pub fn figures(conn: &mut DbConnection, p: &Period) -> Result<Figures, DbError> {
    let all = |conn: &mut DbConnection| -> Result<Figures, DbError> {
        let (received, first_response) = received_and_first_response(conn, p)?;
        Ok(Figures {
            received,
            first_response,
            right_of_reply: right_of_reply(conn, p)?,
            activity: activity(conn, p)?,
        })
    };
    match conn {
        DbConnection::Pg(_) => conn.transaction(|conn| {
            diesel::sql_query("SET LOCAL work_mem = '64MB'").execute(conn)?;
            all(conn)
        }),
        DbConnection::Sqlite(_) => all(conn),
    }
}

/// A line of the one-scan query: a (queue, topic, channel) group, or, with no queue, the
/// first-response figures of every row.
#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Nullable<Text>)]
    queue: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    topic: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    channel: Option<String>,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = Nullable<Double>)]
    median: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    p90: Option<f64>,
}

/// The counts by queue, topic and channel, and the first-response percentiles. On PostgreSQL
/// the period's rows are read once: each group's count and its response times (an array) come
/// from one pass, and the percentiles are taken over the arrays' union. Each table is grouped
/// on its own, where the planner knows how few groups there are and hashes them (grouped
/// after the `UNION ALL`, it guessed tens of thousands of groups and sorted half a million
/// rows by text first). SQLite reads the rows twice.
fn received_and_first_response(
    conn: &mut DbConnection,
    p: &Period,
) -> Result<(Vec<Received>, FirstResponse), DbError> {
    if let DbConnection::Sqlite(_) = conn {
        return Ok((received(conn, p)?, first_response(conn, p)?));
    }
    let desks = desks_in("desk", &p.desks);
    let grouped = |table: &str| {
        format!(
            "SELECT queue, topic, channel, COUNT(*) FILTER (WHERE status <> 'spam') AS n, \
             array_agg(EXTRACT(EPOCH FROM (first_response_at - created_at))::float8) \
                 FILTER (WHERE first_response_at IS NOT NULL) AS secs \
             FROM {table} WHERE created_at >= {{from}} AND created_at < {{to}} AND {desks} \
             GROUP BY queue, topic, channel"
        )
    };
    let sql = format!(
        "WITH g AS ({} UNION ALL {}) \
         SELECT queue, topic, channel, SUM(n)::bigint AS n, NULL::float8 AS median, \
             NULL::float8 AS p90 \
             FROM g GROUP BY queue, topic, channel HAVING SUM(n) > 0 \
         UNION ALL \
         SELECT NULL, NULL, NULL, COUNT(s), \
             percentile_cont(0.5) WITHIN GROUP (ORDER BY s), \
             percentile_cont(0.9) WITHIN GROUP (ORDER BY s) \
             FROM g, unnest(g.secs) s",
        grouped("submissions"),
        grouped("tombstones")
    );
    let lines = run_query!(conn, sql, p, Line, load);
    let mut received = Vec::new();
    let mut first_response = FirstResponse::default();
    for line in lines {
        match (line.queue, line.topic, line.channel) {
            (Some(queue), Some(topic), Some(channel)) => received.push(Received {
                queue,
                topic,
                channel,
                n: line.n,
            }),
            _ => {
                first_response = FirstResponse {
                    responded: line.n,
                    median: line.median,
                    p90: line.p90,
                }
            }
        }
    }
    received
        .sort_by(|a, b| (&a.queue, &a.topic, &a.channel).cmp(&(&b.queue, &b.topic, &b.channel)));
    Ok((received, first_response))
}

fn received(conn: &mut DbConnection, p: &Period) -> Result<Vec<Received>, DbError> {
    let rows = received_rows(p, "queue, topic, channel, status", "");
    let sql = format!(
        "SELECT queue, topic, channel, COUNT(*) AS n FROM {rows} r WHERE status <> 'spam' \
         GROUP BY queue, topic, channel ORDER BY queue, topic, channel"
    );
    Ok(run_query!(conn, sql, p, Received, load))
}

fn first_response(conn: &mut DbConnection, p: &Period) -> Result<FirstResponse, DbError> {
    let rows = received_rows(p, "created_at, first_response_at", "");
    let sql = match conn {
        DbConnection::Pg(_) => format!(
            "SELECT COUNT(*) AS responded, \
             percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) AS median, \
             percentile_cont(0.9) WITHIN GROUP (ORDER BY secs) AS p90 \
             FROM (SELECT EXTRACT(EPOCH FROM (first_response_at - created_at))::float8 AS secs \
             FROM {rows} r WHERE first_response_at IS NOT NULL) d"
        ),
        DbConnection::Sqlite(_) => format!(
            "WITH d AS (SELECT ROUND((julianday(first_response_at) \
                 - julianday(created_at)) * 86400000.0) / 1000.0 AS secs \
                 FROM {rows} r WHERE first_response_at IS NOT NULL), \
             ranked AS (SELECT secs, ROW_NUMBER() OVER (ORDER BY secs) - 1 AS i, \
                 COUNT(*) OVER () AS n FROM d), \
             wanted AS (SELECT p, p * (n - 1) AS h, CAST(p * (n - 1) AS INTEGER) AS lo \
                 FROM (SELECT 0.5 AS p UNION ALL SELECT 0.9) ps, \
                 (SELECT COUNT(*) AS n FROM d) c WHERE n > 0), \
             q AS (SELECT w.p, \
                 MAX(CASE WHEN r.i = w.lo THEN r.secs END) AS at_lo, \
                 COALESCE(MAX(CASE WHEN r.i = w.lo + 1 THEN r.secs END), \
                     MAX(CASE WHEN r.i = w.lo THEN r.secs END)) AS at_hi, \
                 w.h - w.lo AS frac \
                 FROM wanted w JOIN ranked r ON r.i BETWEEN w.lo AND w.lo + 1 \
                 GROUP BY w.p, w.h, w.lo) \
             SELECT (SELECT COUNT(*) FROM d) AS responded, \
             (SELECT at_lo + frac * (at_hi - at_lo) FROM q WHERE p = 0.5) AS median, \
             (SELECT at_lo + frac * (at_hi - at_lo) FROM q WHERE p = 0.9) AS p90"
        ),
    };
    Ok(run_query!(conn, sql, p, FirstResponse, get_result))
}

fn right_of_reply(conn: &mut DbConnection, p: &Period) -> Result<RightOfReply, DbError> {
    let rows = received_rows(
        p,
        "topic, status, outcome_kind, resolved_at, deadline_at",
        " AND topic = 'right_of_reply'",
    );
    let sql = format!(
        "SELECT COUNT(*) AS received, \
         COALESCE(SUM(CASE WHEN outcome_kind = 'inserted' THEN 1 ELSE 0 END), 0) AS inserted, \
         COALESCE(SUM(CASE WHEN outcome_kind = 'refused' THEN 1 ELSE 0 END), 0) AS refused, \
         COALESCE(SUM(CASE WHEN status <> 'resolved' THEN 1 ELSE 0 END), 0) AS open, \
         COALESCE(SUM(CASE WHEN deadline_at IS NOT NULL \
             AND COALESCE(resolved_at, {{now}}) > deadline_at THEN 1 ELSE 0 END), 0) AS breaches \
         FROM {rows} r WHERE topic = 'right_of_reply' AND status <> 'spam'"
    );
    Ok(run_query!(conn, sql, p, RightOfReply, get_result))
}

fn activity(conn: &mut DbConnection, p: &Period) -> Result<Activity, DbError> {
    // The kinds are the audit log's own names (domain::EventKind), never retyped here.
    let changed = EventKind::Changed.as_str();
    let quarantined = EventKind::SubmissionQuarantined.as_str();
    let key = |name: &str| match conn {
        DbConnection::Pg(_) => {
            format!("(CASE WHEN e.kind = '{changed}' THEN e.detail::jsonb ->> '{name}' END)")
        }
        DbConnection::Sqlite(_) => {
            format!("(CASE WHEN e.kind = '{changed}' THEN json_extract(e.detail, '$.{name}') END)")
        }
    };
    let (field, was, became) = (key("field"), key("from"), key("to"));
    let desks_s = desks_in("desk", &p.desks);
    // Whether an event's submission (or its tombstone) is on a desk asked: looked up by key
    // for each event of the period, so the cost follows the period's spam moves, not the table.
    let owned = format!(
        "(EXISTS (SELECT 1 FROM submissions o WHERE o.id = e.submission_id AND {desks_o}) \
         OR EXISTS (SELECT 1 FROM tombstones o WHERE o.submission_id = e.submission_id \
             AND {desks_o}))",
        desks_o = desks_in("o.desk", &p.desks)
    );
    let corrected = format!(
        "(SELECT outcome_kind FROM submissions WHERE resolved_at >= {{from}} \
         AND resolved_at < {{to}} AND outcome_kind IS NOT NULL AND {desks_s} \
         UNION ALL SELECT outcome_kind FROM tombstones WHERE resolved_at >= {{from}} \
         AND resolved_at < {{to}} AND outcome_kind IS NOT NULL AND {desks_s})"
    );
    let sql = format!(
        "SELECT \
         (SELECT COUNT(*) FROM {corrected} c WHERE outcome_kind = 'corrected') AS corrections, \
         (SELECT COUNT(*) FROM events e \
             WHERE e.created_at >= {{from}} AND e.created_at < {{to}} AND {owned} \
             AND (e.kind = '{quarantined}' \
                 OR (e.kind = '{changed}' AND {field} = 'status' AND {became} = 'spam'))) AS quarantined, \
         (SELECT COUNT(*) FROM events e \
             WHERE e.created_at >= {{from}} AND e.created_at < {{to}} AND {owned} \
             AND e.kind = '{changed}' AND {field} = 'status' AND {was} = 'spam') AS released"
    );
    Ok(run_query!(conn, sql, p, Activity, get_result))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_bounds_stay_within_four_digit_years() {
        let at = |y, m, d| {
            NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
        };
        assert_eq!(sqlite_sortable(at(2026, 12, 7)), at(2026, 12, 7));
        let edge = sqlite_sortable(at(10000, 1, 1));
        assert_eq!(
            edge.format("%F %T%.f").to_string(),
            "9999-12-31 23:59:59.999999"
        );
        assert_eq!(sqlite_sortable(at(-1, 1, 1)), at(0, 1, 1));
    }
}
