//! `[mail]`: the outbox worker and its transport, and their check.

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::check::at_least;
use super::smtp;
use crate::domain::Locale;

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MailTransportKind {
    File,
    Smtp,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    /// Run the outbox worker in this instance (any number of instances may run it).
    pub run_worker: bool,
    pub transport: MailTransportKind,
    pub file_dir: PathBuf,
    pub smtp_url: Option<SecretString>,
    /// Sender of every message, e.g. `Courrier <courrier@example.org>`.
    pub from: String,
    /// Language of the team notifications.
    pub team_locale: Locale,
    /// Parallel senders (one SMTP connection each).
    pub concurrency: usize,
    /// Jobs claimed by one sender at a time.
    pub batch_size: u32,
    pub max_attempts: i32,
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    pub poll_interval_ms: u64,
    /// How long a claimed job is held; renewed while its batch is sent.
    pub lease_ms: u64,
    pub smtp_timeout_ms: u64,
    /// Signs the reply addresses (`<queue>+<token>@…`) that bring readers' answers back to
    /// their submission; production requires it.
    #[serde(default)]
    pub reply_key: Option<SecretString>,
}

impl MailSettings {
    pub(super) fn check(&self, problems: &mut Vec<String>) {
        if self.from.parse::<lettre::message::Mailbox>().is_err() {
            problems.push(format!("mail.from: `{}` is not a valid mailbox", self.from));
        }
        match (&self.transport, &self.smtp_url) {
            (MailTransportKind::Smtp, None) => {
                problems.push("mail.smtp_url: required when mail.transport = \"smtp\"".into())
            }
            (MailTransportKind::Smtp, Some(url)) => {
                if let Err(e) = smtp::SmtpTarget::parse(url.expose_secret()) {
                    problems.push(format!("mail.smtp_url: {e}"));
                }
            }
            _ => {}
        }
        // One send at worst: a connection timeout, a send timeout and 2 s to hang up. A sender
        // renews its leases every third of one and starts a send only while the lease surely
        // outlasts it, so two worst sends must fit in a lease, whatever the batch size.
        let worst_send = self.smtp_timeout_ms.saturating_mul(2).saturating_add(2_000);
        let shortest_lease = worst_send.saturating_mul(2);
        if self.lease_ms <= shortest_lease {
            problems.push(format!(
                "mail.lease_ms: must exceed 2 × (2 × mail.smtp_timeout_ms + 2000) \
                 ({shortest_lease}), or a slow relay could let another worker send the same \
                 e-mail again"
            ));
        }
        at_least(
            problems,
            &[
                ("mail.poll_interval_ms", self.poll_interval_ms, 10),
                ("mail.smtp_timeout_ms", self.smtp_timeout_ms, 100),
                ("mail.retry_base_ms", self.retry_base_ms, 1),
            ],
        );
        if self.concurrency == 0 || self.batch_size == 0 || self.max_attempts < 1 {
            problems.push(
                "mail.concurrency, mail.batch_size and mail.max_attempts: must be at least 1"
                    .into(),
            );
        }
    }
}
