//! The IMAP poller: one instance at a time (a lease in the database) works the mailbox of
//! `inbound.imap_url`. Each message is taken in by `receive` and marked only once its row is
//! committed; a crash between the two leaves it unmarked, and the next pass finds it stored
//! (deduplicated) and marks it: no loss, no second copy.

use std::time::Duration;

use secrecy::ExposeSecret;

use super::receive;
use crate::config::inbound::ImapTarget;
use crate::db::{self, inbound_seen, leases};
use crate::desk::Context;
use crate::mail::imap::{self, ImapError};

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pass {
    /// False when another instance holds the mailbox.
    pub worked: bool,
    /// Messages taken in (stored, ignored or found already stored) and marked.
    pub marked: usize,
    /// Messages left for a later pass (the database was unavailable).
    pub deferred: usize,
    /// The folder's UIDVALIDITY, and the highest UID the pass saw: what arrives after it is new.
    pub validity: i64,
    pub newest: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error("inbound.imap_url is not set")]
    NotConfigured,
    #[error("inbound.imap_url: {0}")]
    Target(String),
    #[error(transparent)]
    Imap(#[from] ImapError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

fn target(state: &Context) -> Result<ImapTarget, PollError> {
    let url = state
        .settings
        .inbound
        .imap_url
        .as_ref()
        .ok_or(PollError::NotConfigured)?;
    let mut target = ImapTarget::parse(url.expose_secret()).map_err(PollError::Target)?;
    target.ca_file = state.settings.inbound.imap_ca_file.clone();
    Ok(target)
}

/// The lease's key: the mailbox, never its password.
fn mailbox_key(t: &ImapTarget) -> String {
    format!("{}@{}:{}/{}", t.user, t.host, t.port, t.folder)
}

/// The name of a mailbox's lease (`db::leases`).
pub fn lease_name(mailbox_key: &str) -> String {
    format!("imap:{mailbox_key}")
}

/// How long a lease lasts, in milliseconds: past a whole wait in IDLE, so the holder keeps it
/// between passes.
fn lease_length(state: &Context) -> i64 {
    let ms = i64::try_from(state.settings.inbound.poll_interval_ms).unwrap_or(i64::MAX / 4);
    ms.saturating_mul(2).saturating_add(60_000)
}

async fn take_lease(state: &Context, key: &str, owner: &str) -> Result<bool, PollError> {
    let millis = lease_length(state);
    let (name, owner) = (lease_name(key), owner.to_owned());
    Ok(db::run(&state.pool, move |c| leases::take(c, &name, &owner, millis)).await?)
}

/// One pass over the mailbox, as `owner`: nothing if another instance holds it.
pub async fn poll_once(state: &Context, owner: &str) -> Result<Pass, PollError> {
    let t = target(state)?;
    let key = mailbox_key(&t);
    if !take_lease(state, &key, owner).await? {
        return Ok(Pass::default());
    }
    let (mut session, validity) = imap::open(&t).await?;
    let result = work(state, &mut session, &key, owner, validity).await;
    imap::close(session).await;
    result
}

async fn work(
    state: &Context,
    session: &mut imap::Session,
    key: &str,
    owner: &str,
    validity: i64,
) -> Result<Pass, PollError> {
    let mut pass = Pass {
        worked: true,
        ..Pass::default()
    };
    let seen = {
        let key = key.to_owned();
        db::run(&state.pool, move |c| inbound_seen::seen(c, &key, validity)).await?
    };
    let processed = state.settings.inbound.processed_folder.clone();
    let uids = imap::uids(session).await?;
    pass.validity = validity;
    pass.newest = uids.last().copied();
    for uid in uids {
        if seen.contains(&i64::from(uid)) {
            continue;
        }
        // Still ours? (A pass can outlast a lease when the server is slow.)
        if !take_lease(state, key, owner).await? {
            break;
        }
        let Some(raw) = imap::fetch(session, uid).await? else {
            continue;
        };
        match receive(state, raw).await {
            Ok(_) => {}
            // Kept on the server, unmarked, for a later pass.
            Err(e) if e.is_temporary() => {
                tracing::warn!(error = %e, "inbound message deferred");
                pass.deferred += 1;
                break;
            }
            // Not a message, or too large: left on the server (never dropped), not fetched
            // again.
            Err(e) if e.is_refusal() => {
                tracing::warn!(error = %e, uid, "inbound message refused; left in the mailbox");
                record(state, key, validity, uid).await?;
                continue;
            }
            // It could not even be parked (`receive` parks what fails): left on the server, and
            // the pass goes on to the next message.
            Err(e) => {
                tracing::error!(error = %e, uid, "inbound message failed; left in the mailbox");
                record(state, key, validity, uid).await?;
                continue;
            }
        }
        imap::mark(session, uid, processed.as_deref()).await?;
        record(state, key, validity, uid).await?;
        pass.marked += 1;
    }
    Ok(pass)
}

async fn record(state: &Context, key: &str, validity: i64, uid: u32) -> Result<(), PollError> {
    let key = key.to_owned();
    let now = db::now();
    db::run(&state.pool, move |c| {
        inbound_seen::record(c, &key, validity, i64::from(uid), now)
    })
    .await?;
    Ok(())
}

/// The poller: a pass, then IDLE when the server offers it (until something arrives or the
/// poll interval passes), else a sleep of the poll interval; for as long as the process runs.
pub async fn run(state: &Context) {
    let owner = uuid::Uuid::now_v7().to_string();
    let interval = Duration::from_millis(state.settings.inbound.poll_interval_ms);
    loop {
        match poll_once(state, &owner).await {
            Ok(pass) if pass.worked => {
                if pass.marked > 0 {
                    tracing::info!(marked = pass.marked, "inbound mailbox worked");
                }
                if pass.deferred == 0 && wait_in_idle(state, interval, &pass).await {
                    continue;
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "inbound mailbox pass failed"),
        }
        tokio::time::sleep(interval).await;
    }
}

/// Waits for new mail in IDLE; false when the server does not offer it (or it failed). Mail
/// that came in since `pass` looked ends the wait at once: IDLE only tells of what arrives while
/// it runs.
async fn wait_in_idle(state: &Context, interval: Duration, pass: &Pass) -> bool {
    let Ok(t) = target(state) else {
        return false;
    };
    let Ok((mut session, validity)) = imap::open(&t).await else {
        return false;
    };
    if !imap::offers_idle(&mut session).await {
        imap::close(session).await;
        return false;
    }
    let arrived = match imap::uids(&mut session).await {
        Ok(uids) => validity != pass.validity || uids.last().copied() > pass.newest,
        Err(_) => {
            imap::close(session).await;
            return false;
        }
    };
    if arrived || imap::told_of_changes(&mut session) {
        imap::close(session).await;
        return true;
    }
    let idled = imap::idle(session, interval, || state.instruments.inbound_idle(true)).await;
    state.instruments.inbound_idle(false);
    match idled {
        Ok(session) => {
            imap::close(session).await;
            true
        }
        Err(_) => false,
    }
}

/// Gives the lease back, for a stopping instance.
pub async fn release(state: &Context, owner: &str) -> Result<(), PollError> {
    let name = lease_name(&mailbox_key(&target(state)?));
    let owner = owner.to_owned();
    Ok(db::run(&state.pool, move |c| leases::release(c, &name, &owner)).await?)
}
