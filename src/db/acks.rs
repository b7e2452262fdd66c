//! The acknowledgements' log: one row per acknowledgement written, keyed by hashes of the
//! reader's mailbox and domain, so their caps hold across restarts and instances. The decision
//! is taken inside the submission's own write (see `db::intake`), by one rule, `AckCaps::cap_met`.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::events::NewEvent;
use super::outbox::NewOutboxRow;
use super::schema::ack_log;
use super::{DbConnection, DbError};

/// A logged acknowledgement.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = ack_log)]
pub struct AckRow {
    /// Keyed hash of the folded mailbox.
    pub mailbox: String,
    /// Keyed hash of the address's domain.
    pub domain: String,
    pub created_at: NaiveDateTime,
}

/// How many acknowledgements a mailbox and a domain may get, and since when they count.
#[derive(Debug, Clone, Copy)]
pub struct AckCaps {
    pub per_mailbox: i64,
    pub mailbox_since: NaiveDateTime,
    pub per_domain: i64,
    pub domain_since: NaiveDateTime,
}

/// The reader's acknowledgement, to write unless a cap is reached; then `skipped` is recorded
/// instead, its detail naming the cap.
#[derive(Debug, Clone)]
pub struct Ack {
    pub mail: NewOutboxRow,
    pub log: AckRow,
    pub caps: AckCaps,
    pub skipped: NewEvent,
}

/// The event detail of a skipped acknowledgement.
pub const MAILBOX_CAP: &str = r#"{"reason":"ack_per_mailbox_per_day"}"#;
pub const DOMAIN_CAP: &str = r#"{"reason":"ack_per_domain_per_hour"}"#;

impl AckCaps {
    /// The caps' one rule: given how many acknowledgements the mailbox and the domain have had
    /// within their windows, `None` when this one may go, else the event detail of the cap it
    /// meets (the mailbox's, when both are met). `intake/ack.sql` states the same in SQL for
    /// PostgreSQL's single statement; a test holds the two to the same answers.
    pub fn cap_met(&self, by_mailbox: i64, by_domain: i64) -> Option<&'static str> {
        if by_mailbox >= self.per_mailbox {
            Some(MAILBOX_CAP)
        } else if by_domain >= self.per_domain {
            Some(DOMAIN_CAP)
        } else {
            None
        }
    }
}

/// Which cap, if any, this acknowledgement meets (read inside the caller's transaction).
pub fn cap_reached(
    conn: &mut DbConnection,
    log: &AckRow,
    caps: &AckCaps,
) -> Result<Option<&'static str>, DbError> {
    // Each count stops at its cap: a busy domain costs at most that many index entries.
    let by_mailbox = ack_log::table
        .filter(ack_log::mailbox.eq(&log.mailbox))
        .filter(ack_log::created_at.gt(caps.mailbox_since))
        .select(ack_log::created_at)
        .limit(caps.per_mailbox)
        .load::<NaiveDateTime>(conn)?
        .len();
    let by_domain = ack_log::table
        .filter(ack_log::domain.eq(&log.domain))
        .filter(ack_log::created_at.gt(caps.domain_since))
        .select(ack_log::created_at)
        .limit(caps.per_domain)
        .load::<NaiveDateTime>(conn)?
        .len();
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    Ok(caps.cap_met(count(by_mailbox), count(by_domain)))
}

/// A key's count, as `counts` reads it.
#[derive(QueryableByName)]
struct KeyCount {
    /// `m` for a mailbox, `d` for a domain.
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The acknowledgements logged for each of these mailboxes and domains within their windows
/// (read inside the caller's transaction), each count stopping at its cap as `cap_reached`'s
/// do, so a busy domain costs at most that many index entries. One statement: a bounded
/// subquery per key, each an equality on the key and a range on the time, which the
/// `(mailbox, created_at)` and `(domain, created_at)` indexes answer. (A grouped count over
/// `mailbox IN (…)` let PostgreSQL, whose statistics on a fast-growing log always put recent
/// times at almost no rows, choose the index on the time instead, and read every
/// acknowledgement of the window once per batch.)
pub fn counts(
    conn: &mut DbConnection,
    mailboxes: &[&str],
    domains: &[&str],
    caps: &AckCaps,
) -> QueryResult<(HashMap<String, i64>, HashMap<String, i64>)> {
    let mark = match conn {
        DbConnection::Pg(_) => "$",
        DbConnection::Sqlite(_) => "?",
    };
    let mut parts = Vec::new();
    let mut binds: Vec<(&str, NaiveDateTime, i64)> = Vec::new();
    let sides = [
        (
            "m",
            "mailbox",
            mailboxes,
            caps.mailbox_since,
            caps.per_mailbox,
        ),
        ("d", "domain", domains, caps.domain_since, caps.per_domain),
    ];
    for (kind, column, keys, since, cap) in sides {
        for key in keys {
            let n = binds.len() * 3;
            let (k, t, c) = (n + 1, n + 2, n + 3);
            parts.push(format!(
                "SELECT '{kind}' AS kind, {mark}{k} AS key, (SELECT COUNT(*) FROM \
                 (SELECT 1 FROM ack_log WHERE {column} = {mark}{k} AND created_at > {mark}{t} \
                 LIMIT {mark}{c}) x) AS n"
            ));
            binds.push((key, since, cap));
        }
    }
    if parts.is_empty() {
        return Ok((HashMap::new(), HashMap::new()));
    }
    let sql = parts.join(" UNION ALL ");
    // The binds, in the order the placeholders were numbered, on either backend's query.
    macro_rules! bound {
        ($query:expr) => {{
            let mut q = $query;
            for (key, since, cap) in binds {
                q = q
                    .bind::<Text, _>(key)
                    .bind::<Timestamp, _>(since)
                    .bind::<BigInt, _>(cap);
            }
            q
        }};
    }
    let rows: Vec<KeyCount> = match conn {
        DbConnection::Pg(pg) => {
            bound!(diesel::sql_query(sql).into_boxed::<diesel::pg::Pg>()).load(pg)?
        }
        DbConnection::Sqlite(sq) => {
            bound!(diesel::sql_query(sql).into_boxed::<diesel::sqlite::Sqlite>()).load(sq)?
        }
    };
    let (mut by_mailbox, mut by_domain) = (HashMap::new(), HashMap::new());
    for row in rows {
        match row.kind.as_str() {
            "m" => by_mailbox.insert(row.key, row.n),
            _ => by_domain.insert(row.key, row.n),
        };
    }
    Ok((by_mailbox, by_domain))
}

/// Forgets acknowledgements logged before `before` (no cap looks back that far).
pub fn forget_before(conn: &mut DbConnection, before: NaiveDateTime) -> Result<usize, DbError> {
    super::write(conn, |conn| {
        Ok(diesel::delete(ack_log::table.filter(ack_log::created_at.lt(before))).execute(conn)?)
    })
}
