//! The acknowledgements' log: one row per acknowledgement written, keyed by hashes of the
//! reader's mailbox and domain, so their caps hold across restarts and instances. The decision
//! is taken inside the submission's own write (see `submissions::insert_with_outbox`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

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

/// Which cap, if any, this acknowledgement would pass (read inside the caller's transaction).
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
    if i64::try_from(by_mailbox).unwrap_or(i64::MAX) >= caps.per_mailbox {
        return Ok(Some(MAILBOX_CAP));
    }
    let by_domain = ack_log::table
        .filter(ack_log::domain.eq(&log.domain))
        .filter(ack_log::created_at.gt(caps.domain_since))
        .select(ack_log::created_at)
        .limit(caps.per_domain)
        .load::<NaiveDateTime>(conn)?
        .len();
    Ok((i64::try_from(by_domain).unwrap_or(i64::MAX) >= caps.per_domain).then_some(DOMAIN_CAP))
}

/// Forgets acknowledgements logged before `before` (no cap looks back that far).
pub fn forget_before(conn: &mut DbConnection, before: NaiveDateTime) -> Result<usize, DbError> {
    super::write(conn, |conn| {
        Ok(diesel::delete(ack_log::table.filter(ack_log::created_at.lt(before))).execute(conn)?)
    })
}
