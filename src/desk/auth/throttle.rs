//! The sign-in throttle: a lock per (address, client) that grows with its failures, and an
//! account-wide ceiling on failures from clients the account has not signed in from lately, so
//! that guessing stays slow without handing anyone a switch that keeps a journalist out.

use crate::domain::EventKind;
use std::net::IpAddr;

use chrono::{Duration, NaiveDateTime};
use serde_json::json;

use super::{keyed_hash, AuthError};
use crate::config::AuthSettings;
use crate::db::events::NewEvent;
use crate::db::signin::{self as store, Expired};
use crate::db::staff::{user_by_email, UserRow};
use crate::db::{self, DbError, Pool};

/// A client the account signed in from is spared the ceiling this long afterwards.
fn known_for() -> Duration {
    Duration::days(30)
}

/// The ceiling counts failures over this window.
fn window() -> Duration {
    Duration::hours(1)
}

/// Who the sign-in guard writes audit events as.
const ACTOR: &str = "signin";

/// Lockout length after `failures` failed sign-ins: none below the threshold, then the base
/// doubling with each further failure, capped.
fn lock_for(settings: &AuthSettings, failures: i32) -> Option<Duration> {
    let over = failures - settings.lockout_threshold;
    if over < 0 {
        return None;
    }
    let secs = u64::from(settings.lockout_base_seconds)
        .saturating_mul(1u64 << over.min(30))
        .min(u64::from(settings.lockout_max_seconds));
    Some(Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX)))
}

/// Names clients by a keyed hash of their address, as every stored client address is; an IPv6
/// client by its /64, which one subscriber holds whole (its addresses rotate within it, and an
/// attacker with one has them all).
#[derive(Clone)]
pub(super) struct ClientKeys(Vec<u8>);

impl ClientKeys {
    /// `secret` is the deployment's `privacy.ip_hash_key`.
    pub fn new(secret: &str) -> ClientKeys {
        ClientKeys(secret.as_bytes().to_vec())
    }

    /// The client's key; empty when the client's address is unknown.
    pub fn key(&self, ip: Option<IpAddr>) -> String {
        ip.map_or_else(String::new, |ip| {
            keyed_hash(
                &self.0,
                &crate::config::networks::subscriber(ip).to_string(),
            )
        })
    }
}

/// What the guard found before any password is checked.
pub(super) struct Gate {
    pub user: Option<UserRow>,
    /// The account signed in from this client in the last 30 days.
    pub known: bool,
}

/// Refuses a sign-in that a lock or the ceiling forbids, before it costs a hash. The same
/// queries run whether the account exists or not, so the time taken does not tell.
pub(super) async fn gate(
    pool: &Pool,
    settings: &AuthSettings,
    email: &str,
    client: &str,
    now: NaiveDateTime,
) -> Result<Gate, AuthError> {
    let (email, client) = (email.to_owned(), client.to_owned());
    let ceiling = settings.account_failures_per_hour;
    let (locked, user, known, reached) = db::run(pool, move |conn| {
        let locked = store::locked_until(conn, &email, &client, now)?;
        let user = user_by_email(conn, &email)?;
        let id = user.as_ref().map_or("", |u| u.id.as_str());
        let known =
            !client.is_empty() && store::is_known_client(conn, id, &client, now - known_for())?;
        let reached = if known {
            None
        } else {
            store::ceiling_reached_at(conn, &email, now - window(), ceiling)?
        };
        Ok((locked, user, known, reached))
    })
    .await?;
    let until = [locked, reached.map(|at| at + window())]
        .into_iter()
        .flatten()
        .max();
    if let Some(until) = until {
        return Err(AuthError::TooManyAttempts {
            retry_after_secs: u64::try_from((until - now).num_seconds())
                .unwrap_or(0)
                .max(1),
        });
    }
    Ok(Gate { user, known })
}

/// Counts a failed sign-in against its (address, client) pair and, from a client the account
/// has not signed in from lately, against the account's ceiling. A lock it sets on an existing
/// account is an audit event, in the same transaction.
pub(super) async fn record_failure(
    pool: &Pool,
    settings: &AuthSettings,
    email: &str,
    client: &str,
    gate: &Gate,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    let settings = settings.clone();
    let (email, client) = (email.to_owned(), client.to_owned());
    let user = gate.user.as_ref().map(|u| u.id.clone());
    let counts = !gate.known;
    db::run(pool, move |conn| {
        db::write_tx(conn, |conn| {
            // The account's row first, then the pair's: the order a sign-in takes them in. The
            // same statement runs for an address with no account, so time does not tell them
            // apart.
            if counts {
                store::hold_account(conn, user.as_deref().unwrap_or(""))?;
            }
            let forget_before = now - Duration::seconds(i64::from(settings.lockout_max_seconds));
            let (failures, locked) =
                store::record_failure(conn, &email, &client, now, forget_before, |n| {
                    lock_for(&settings, n)
                })?;
            let account = if counts {
                Some(store::count_toward_ceiling(
                    conn,
                    &email,
                    now,
                    now - window(),
                )?)
            } else {
                None
            };
            let Some(user) = user else {
                return Ok(());
            };
            if let Some(until) = locked {
                let detail = json!({"user": user, "scope": "client", "client": client,
                    "failures": failures, "until": stamp(until)});
                store::insert_event(conn, &event(EventKind::SigninLocked, detail, now))?;
            }
            if account == Some(i64::from(settings.account_failures_per_hour)) {
                let detail = json!({"user": user, "scope": "account",
                    "failures": account, "until": stamp(now + window())});
                store::insert_event(conn, &event(EventKind::SigninLocked, detail, now))?;
            }
            Ok(())
        })
    })
    .await
}

fn event(kind: EventKind, detail: serde_json::Value, now: NaiveDateTime) -> NewEvent {
    NewEvent::new(None, ACTOR, kind, &detail, now)
}

fn stamp(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The locks on an account still running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lockout {
    /// How many clients are locked out, and until when the last of them is.
    pub clients: usize,
    pub clients_until: Option<NaiveDateTime>,
    /// Until when clients it has not signed in from lately are refused (the ceiling).
    pub account_until: Option<NaiveDateTime>,
}

/// The locks on an address, if any is running.
pub fn lockout(
    conn: &mut db::DbConnection,
    settings: &AuthSettings,
    email: &str,
    now: NaiveDateTime,
) -> Result<Option<Lockout>, DbError> {
    let clients = store::client_locks(conn, email, now)?;
    let account_until = store::ceiling_reached_at(
        conn,
        email,
        now - window(),
        settings.account_failures_per_hour,
    )?
    .map(|at| at + window());
    if clients.is_empty() && account_until.is_none() {
        return Ok(None);
    }
    Ok(Some(Lockout {
        clients: clients.len(),
        clients_until: clients.into_iter().max(),
        account_until,
    }))
}

/// Deletes the throttle's rows that can no longer lock or spare anyone; returns how many.
pub async fn sweep(pool: &Pool, settings: &AuthSettings) -> Result<usize, DbError> {
    let now = db::now();
    let expired = Expired {
        throttle_before: now - Duration::seconds(i64::from(settings.lockout_max_seconds)),
        failures_before: now - window(),
        clients_before: now - known_for(),
    };
    db::run(pool, move |conn| store::sweep(conn, &expired)).await
}
