//! `[inbound]`: the ways readers' mail comes back in (the MTA's pipe, IMAP, raw MIME over HTTP),
//! and what each queue's address must be once any of them is configured.

use std::path::{Path, PathBuf};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::Settings;

/// 25 MiB: what most providers accept for one message.
pub const DEFAULT_MAX_BYTES: usize = 25 * 1024 * 1024;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InboundSettings {
    /// Bearer token of `POST /v1/inbound/mime`; without one the route answers 404.
    pub token: Option<SecretString>,
    /// Largest message taken in, in bytes (`mail ingest` exits 65 past it, the route 413).
    pub max_bytes: usize,
    /// Acknowledge submissions that arrive by e-mail (their `From` can be forged: off by
    /// default, so that Courrier sends no backscatter).
    pub acknowledge: bool,
    /// Messages from one sender per hour that trigger anything; past it they are still stored.
    pub per_sender_per_hour: u32,
    /// `imaps://user:pass@host/Folder`, or `imap://` (STARTTLS; plain only to loopback).
    pub imap_url: Option<SecretString>,
    /// PEM certificates the poller trusts for the IMAP server instead of the public roots (a
    /// private authority, or a server's own certificate authority); unset: the public roots.
    pub imap_ca_file: Option<PathBuf>,
    pub poll_interval_ms: u64,
    /// Where worked messages go; when unset they are flagged `\Seen` and their UID recorded.
    pub processed_folder: Option<String>,
    /// How long turning one HTML-only message into text may take, in milliseconds; past it the
    /// text is stored as not converted (the raw message is kept whole).
    pub html_budget_ms: u64,
    /// Messages parsed at once (off the web workers); others wait their turn.
    pub parsers: usize,
}

impl Default for InboundSettings {
    fn default() -> Self {
        InboundSettings {
            token: None,
            max_bytes: DEFAULT_MAX_BYTES,
            acknowledge: false,
            per_sender_per_hour: 20,
            imap_url: None,
            imap_ca_file: None,
            poll_interval_ms: 60_000,
            processed_folder: None,
            html_budget_ms: 2_000,
            parsers: 2,
        }
    }
}

impl InboundSettings {
    /// Whether any way in is configured (the pipe needs no setting: it counts once a queue
    /// has an address).
    pub fn any_way_in(&self) -> bool {
        self.token.is_some() || self.imap_url.is_some()
    }
}

/// The inbound section, and what it asks of the rest: each queue's address and the reply key
/// once mail can come in, and in production.
pub(super) fn check(settings: &Settings, problems: &mut Vec<String>) {
    let inbound = &settings.inbound;
    if inbound.max_bytes < 1024 {
        problems.push("inbound.max_bytes: at least 1024".into());
    }
    if inbound.parsers == 0 {
        problems.push("inbound.parsers: at least 1".into());
    }
    if inbound.poll_interval_ms < 1000 {
        problems.push("inbound.poll_interval_ms: at least 1000".into());
    }
    if inbound
        .token
        .as_ref()
        .is_some_and(|t| t.expose_secret().len() < 16)
    {
        problems.push("inbound.token: at least 16 characters".into());
    }
    if let Some(url) = &inbound.imap_url {
        if let Err(e) = ImapTarget::parse(url.expose_secret()) {
            problems.push(format!("inbound.imap_url: {e}"));
        }
    }
    if let Some(file) = &inbound.imap_ca_file {
        if let Err(e) = ca_certificates(file) {
            problems.push(format!("inbound.imap_ca_file: {e}"));
        }
    }
    let production = settings.environment == "production";
    if inbound.any_way_in() || production {
        for (name, queue) in &settings.queues {
            match &queue.address {
                None => problems.push(format!(
                    "queues.{name}.address: required once mail comes in (inbound.token or \
                     inbound.imap_url) and in production"
                )),
                Some(a) if a.parse::<lettre::message::Mailbox>().is_err() => problems.push(
                    format!("queues.{name}.address: `{a}` is not a valid mailbox"),
                ),
                Some(_) => {}
            }
        }
        if settings.mail.reply_key.is_none() {
            problems.push(
                "mail.reply_key: required once mail comes in and in production (it signs the \
                 reply addresses; COURRIER__MAIL__REPLY_KEY)"
                    .into(),
            );
        }
    }
    if settings
        .mail
        .reply_key
        .as_ref()
        .is_some_and(|k| k.expose_secret().len() < 16)
    {
        problems.push("mail.reply_key: at least 16 characters".into());
    }
}

/// The certificates of a PEM file (`inbound.imap_ca_file`): at least one, or why not.
pub fn ca_certificates(file: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certificates = CertificateDer::pem_file_iter(file)
        .map_err(|e| format!("{}: {e}", file.display()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", file.display()))?;
    if certificates.is_empty() {
        return Err(format!("{}: no PEM certificate in it", file.display()));
    }
    Ok(certificates)
}

/// Where the IMAP poller connects, parsed from `inbound.imap_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapTarget {
    pub host: String,
    pub port: u16,
    /// TLS from the first byte (`imaps://`); otherwise STARTTLS, or plain to loopback.
    pub implicit_tls: bool,
    pub starttls: bool,
    pub user: String,
    pub password: String,
    pub folder: String,
    /// `inbound.imap_ca_file`: the only authorities trusted when set (not part of the URL).
    pub ca_file: Option<PathBuf>,
}

impl ImapTarget {
    pub fn parse(raw: &str) -> Result<ImapTarget, String> {
        let url = url::Url::parse(raw).map_err(|e| format!("not a URL ({e})"))?;
        let implicit_tls = match url.scheme() {
            "imaps" => true,
            "imap" => false,
            other => return Err(format!("scheme `{other}`: expected imaps:// or imap://")),
        };
        let host = url
            .host_str()
            .ok_or("a host is required")?
            .trim_matches(['[', ']'])
            .to_owned();
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        if url.username().is_empty() {
            return Err("a user is required (imaps://user:pass@host/Folder)".into());
        }
        let folder = decode(url.path().trim_start_matches('/'));
        Ok(ImapTarget {
            port: url.port().unwrap_or(if implicit_tls { 993 } else { 143 }),
            implicit_tls,
            starttls: !implicit_tls && !loopback,
            user: decode(url.username()),
            password: decode(url.password().unwrap_or_default()),
            folder: if folder.is_empty() {
                "INBOX".into()
            } else {
                folder
            },
            host,
            ca_file: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_imap_is_only_for_loopback_and_imaps_is_tls_from_the_start() {
        for (url, implicit_tls, starttls) in [
            ("imaps://u:p@imap.example.org/INBOX", true, false),
            ("imaps://u:p@127.0.0.1/INBOX", true, false),
            ("imap://u:p@127.0.0.1:1143/INBOX", false, false),
            ("imap://u:p@127.8.9.10/INBOX", false, false),
            ("imap://u:p@[::1]/INBOX", false, false),
            ("imap://u:p@localhost/INBOX", false, false),
            // Anything else is STARTTLS, whatever its name suggests.
            ("imap://u:p@imap.example.org/INBOX", false, true),
            ("imap://u:p@192.0.2.2/INBOX", false, true),
            ("imap://u:p@localhost.example.org/INBOX", false, true),
            ("imap://u:p@127.0.0.1.nip.io/INBOX", false, true),
            ("imap://u:p@[::ffff:192.0.2.2]/INBOX", false, true),
        ] {
            let t = ImapTarget::parse(url).unwrap();
            assert_eq!(
                (t.implicit_tls, t.starttls),
                (implicit_tls, starttls),
                "{url}"
            );
        }
        assert!(ImapTarget::parse("pop3://u:p@imap.example.org/").is_err());
        assert!(ImapTarget::parse("imap://imap.example.org/").is_err());
    }
}
