//! An IMAP mailbox, as the poller works it: connect (TLS from the start for `imaps://`,
//! STARTTLS for `imap://`, plain only to loopback), log in, select the folder, list the UIDs,
//! fetch one message, and mark it (moved to the processed folder, or flagged `\Seen`).

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls::RootCertStore;

use crate::config::inbound::ImapTarget;

/// The connection under the session: TLS or, to loopback, plain TCP.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Debug> Io for T {}

pub type Session = async_imap::Session<Box<dyn Io>>;

#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("IMAP connection: {0}")]
    Connect(String),
    #[error("IMAP: {0}")]
    Protocol(#[from] async_imap::error::Error),
    #[error("IMAP sign-in refused: {0}")]
    Login(String),
    #[error("IMAP server timed out")]
    Timeout,
}

const TIMEOUT: Duration = Duration::from_secs(60);

async fn within<T>(f: impl std::future::Future<Output = T>) -> Result<T, ImapError> {
    tokio::time::timeout(TIMEOUT, f)
        .await
        .map_err(|_| ImapError::Timeout)
}

/// The authorities trusted for the server: `inbound.imap_ca_file`'s alone when set, else the
/// public roots. Verification is never turned off.
fn roots(target: &ImapTarget) -> Result<RootCertStore, ImapError> {
    let Some(file) = &target.ca_file else {
        return Ok(RootCertStore::from_iter(
            webpki_roots::TLS_SERVER_ROOTS.iter().cloned(),
        ));
    };
    let mut roots = RootCertStore::empty();
    let certificates = crate::config::inbound::ca_certificates(file)
        .map_err(|e| ImapError::Connect(format!("inbound.imap_ca_file: {e}")))?;
    for certificate in certificates {
        roots
            .add(certificate)
            .map_err(|e| ImapError::Connect(format!("inbound.imap_ca_file: {e}")))?;
    }
    Ok(roots)
}

fn tls(target: &ImapTarget) -> Result<tokio_rustls::TlsConnector, ImapError> {
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| ImapError::Connect(e.to_string()))?
    .with_root_certificates(roots(target)?)
    .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

async fn wrap(target: &ImapTarget, tcp: TcpStream) -> Result<Box<dyn Io>, ImapError> {
    let name = tokio_rustls::rustls::pki_types::ServerName::try_from(target.host.clone())
        .map_err(|e| ImapError::Connect(e.to_string()))?;
    let stream = within(tls(target)?.connect(name, tcp))
        .await?
        .map_err(|e| ImapError::Connect(e.to_string()))?;
    Ok(Box::new(stream))
}

/// Connects, logs in and selects the folder; returns the session and the UIDVALIDITY.
pub async fn open(target: &ImapTarget) -> Result<(Session, i64), ImapError> {
    let tcp = within(TcpStream::connect((target.host.as_str(), target.port)))
        .await?
        .map_err(|e| ImapError::Connect(e.to_string()))?;
    let client = if target.implicit_tls {
        let mut c = async_imap::Client::new(wrap(target, tcp).await?);
        within(c.read_response())
            .await?
            .map_err(|e| ImapError::Connect(e.to_string()))?;
        c
    } else {
        let mut c = async_imap::Client::new(Box::new(tcp) as Box<dyn Io>);
        within(c.read_response())
            .await?
            .map_err(|e| ImapError::Connect(e.to_string()))?;
        if target.starttls {
            // No STARTTLS, no sign-in: plain IMAP is for loopback only.
            within(c.run_command_and_check_ok("STARTTLS", None))
                .await?
                .map_err(|e| {
                    ImapError::Connect(format!(
                        "STARTTLS refused ({e}); plain IMAP is only used to a loopback address"
                    ))
                })?;
            let inner = c.into_inner();
            // The plain stream is a TcpStream we boxed ourselves; re-wrap it in TLS.
            let tls = tls(target)?;
            let name = tokio_rustls::rustls::pki_types::ServerName::try_from(target.host.clone())
                .map_err(|e| ImapError::Connect(e.to_string()))?;
            let stream = within(tls.connect(name, inner))
                .await?
                .map_err(|e| ImapError::Connect(e.to_string()))?;
            async_imap::Client::new(Box::new(stream) as Box<dyn Io>)
        } else {
            c
        }
    };
    let mut session = within(client.login(&target.user, &target.password))
        .await?
        .map_err(|(e, _)| ImapError::Login(e.to_string()))?;
    let mailbox = within(session.select(&target.folder)).await??;
    Ok((session, i64::from(mailbox.uid_validity.unwrap_or(0))))
}

/// Every UID in the selected folder, lowest first.
pub async fn uids(session: &mut Session) -> Result<Vec<u32>, ImapError> {
    let mut all: Vec<u32> = within(session.uid_search("ALL"))
        .await??
        .into_iter()
        .collect();
    all.sort_unstable();
    Ok(all)
}

/// One message's raw bytes, without marking it read.
pub async fn fetch(session: &mut Session, uid: u32) -> Result<Option<Vec<u8>>, ImapError> {
    let mut stream = within(session.uid_fetch(uid.to_string(), "BODY.PEEK[]")).await??;
    let mut body = None;
    while let Some(item) = within(stream.next()).await? {
        let item = item?;
        if item.uid == Some(uid) || body.is_none() {
            body = item.body().map(<[u8]>::to_vec).or(body);
        }
    }
    Ok(body)
}

/// Marks a message worked: moved to `processed` (created if missing), else flagged `\Seen`.
pub async fn mark(
    session: &mut Session,
    uid: u32,
    processed: Option<&str>,
) -> Result<(), ImapError> {
    match processed {
        Some(folder) => {
            if let Err(first) = within(session.uid_mv(uid.to_string(), folder)).await? {
                // The folder may not exist yet.
                let _ = within(session.create(folder)).await?;
                within(session.uid_mv(uid.to_string(), folder))
                    .await?
                    .map_err(|_| first)?;
            }
        }
        None => {
            let mut updates =
                within(session.uid_store(uid.to_string(), "+FLAGS (\\Seen)")).await??;
            while let Some(u) = within(updates.next()).await? {
                u?;
            }
        }
    }
    Ok(())
}

/// Whether the server offers IDLE.
pub async fn offers_idle(session: &mut Session) -> bool {
    matches!(within(session.capabilities()).await, Ok(Ok(c)) if c.has_str("IDLE"))
}

/// Whether the server has told of a change to the folder (a new message, an expunge) in
/// answers already read: taken from the session's unsolicited responses, which it empties.
pub fn told_of_changes(session: &mut Session) -> bool {
    use async_imap::types::UnsolicitedResponse as U;
    let mut changed = false;
    while let Ok(news) = session.unsolicited_responses.try_recv() {
        changed |= matches!(news, U::Exists(_) | U::Recent(_) | U::Expunge(_));
    }
    changed
}

/// Waits in IDLE until the server says something or `wait` passes; gives the session back.
/// `started` is called once the server has accepted IDLE (from then on, a new message ends the
/// wait).
pub async fn idle(
    session: Session,
    wait: Duration,
    started: impl FnOnce(),
) -> Result<Session, ImapError> {
    let mut handle = session.idle();
    within(handle.init()).await??;
    started();
    // The wait ends at `wait` even when the server's keep-alives (which restart async-imap's own
    // timer) come more often.
    let waited = {
        let (waiting, _stop) = handle.wait_with_timeout(wait);
        tokio::time::timeout(wait, waiting).await
    };
    if let Ok(outcome) = waited {
        outcome?;
    }
    Ok(within(handle.done()).await??)
}

/// Logs out, ignoring a server that has already gone.
pub async fn close(mut session: Session) {
    let _ = within(session.logout()).await;
}
