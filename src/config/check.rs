//! Each section of the settings checks itself: every problem is named by its key, and
//! start-up (or `courrier config check`) lists them all at once.

use secrecy::ExposeSecret;

use super::retention::StatusPeriods;
use super::{
    smtp, AuthSettings, Backend, DatabaseSettings, HttpSettings, Keep, LogSettings, MailSettings,
    MailTransportKind, MetricsSettings, PrivacySettings, Settings, SiteSettings,
};
use crate::domain::{FormKind, QueueName, Status};

/// Values that must reach a floor.
fn at_least(problems: &mut Vec<String>, checks: &[(&str, u64, u64)]) {
    for (key, value, min) in checks {
        if value < min {
            problems.push(format!("{key}: at least {min}"));
        }
    }
}

impl DatabaseSettings {
    pub(super) fn check(&self, problems: &mut Vec<String>) {
        if Backend::from_url(self.url.expose_secret()).is_none() {
            problems.push(
                "database.url: must start with sqlite:// or postgres:// (or postgresql://)".into(),
            );
        }
        if self.pool_size == 0 {
            problems.push("database.pool_size: must be at least 1".into());
        }
        self.group_commit.check(problems);
        self.heavy_reads.check(problems);
    }
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

impl AuthSettings {
    pub(super) fn check(&self, problems: &mut Vec<String>) {
        at_least(
            problems,
            &[
                (
                    "auth.absolute_timeout_minutes",
                    u64::from(self.absolute_timeout_minutes),
                    1,
                ),
                (
                    "auth.lockout_base_seconds",
                    u64::from(self.lockout_base_seconds),
                    1,
                ),
                (
                    "auth.lockout_max_seconds",
                    u64::from(self.lockout_max_seconds),
                    1,
                ),
            ],
        );
        if self.lockout_threshold < 1 {
            problems.push("auth.lockout_threshold: at least 1".into());
        }
        if self.idle_timeout_minutes < 5 {
            problems.push(format!(
                "auth.idle_timeout_minutes: at least 5 (is {}): a session in use is marked \
                 so only every tenth of the timeout, and shorter timeouts sign out staff \
                 between two clicks",
                self.idle_timeout_minutes
            ));
        }
        if self.account_failures_per_hour < 1 {
            problems.push("auth.account_failures_per_hour: at least 1".into());
        }
        if self.max_concurrent_hashes == 0 || self.login_per_ip_per_minute == 0 {
            problems.push(
                "auth.max_concurrent_hashes and auth.login_per_ip_per_minute: at least 1".into(),
            );
        }
    }
}

impl Settings {
    /// The queues and the routing rules, together: a rule names queues, and a queue's desk
    /// must match the forms routed to it.
    pub(super) fn check_queues_and_routing(&self, problems: &mut Vec<String>) {
        for (name, queue) in &self.queues {
            if QueueName::parse(name).is_err() {
                problems.push(format!(
                    "queues.{name}: a queue name is 1 to 40 lowercase letters, digits, - or _"
                ));
            }
            if queue.notify.is_empty() {
                problems.push(format!("queues.{name}.notify: at least one address"));
            }
            if let Some(addr) = &queue.address {
                if addr.parse::<lettre::message::Mailbox>().is_err() {
                    problems.push(format!("queues.{name}.address: `{addr}` is not a mailbox"));
                }
            }
            for addr in &queue.notify {
                if addr.parse::<lettre::message::Mailbox>().is_err() {
                    problems.push(format!("queues.{name}.notify: `{addr}` is not an address"));
                }
            }
        }
        if let Err(e) = self.router_with(&[]) {
            problems.push(format!("routing: {e}"));
        }
        for (i, rule) in self.routing.rules.iter().enumerate() {
            if let Err(e) = self.router_with(std::slice::from_ref(rule)) {
                problems.push(format!("routing.rules[{i}]: {e}"));
            }
        }
        let Ok(router) = self.router() else {
            return;
        };
        // Source protection: what readers send the newsroom stays on the editorial desk.
        for form in FormKind::ALL.iter().copied() {
            let desk = form.desk();
            for queue in router.queues_for(form) {
                if self
                    .queues
                    .get(queue.as_str())
                    .is_some_and(|q| q.desk != desk)
                {
                    problems.push(format!(
                        "queues.{queue}.desk: the {} form routes here, so it must be `{desk}`",
                        form.as_str()
                    ));
                }
            }
        }
    }
}

impl SiteSettings {
    pub(super) fn check(&self, problems: &mut Vec<String>) {
        if url::Url::parse(&self.thank_you_url).is_err() && !self.thank_you_url.starts_with('/') {
            problems.push("site.thank_you_url: an absolute URL or a path starting with /".into());
        }
        // The site's name heads the corrections' Atom feed.
        if crate::domain::xml::check(&self.name).is_err() {
            problems.push(
                "site.name: a character XML 1.0 cannot carry (U+FFFE, U+FFFF or a control)".into(),
            );
        }
        let public = url::Url::parse(&self.public_url).ok().filter(|u| {
            matches!(u.scheme(), "http" | "https")
                && u.host().is_some()
                && u.query().is_none()
                && u.fragment().is_none()
        });
        if public.is_none() {
            problems.push(
                "site.public_url: an http(s) URL such as https://courrier.journal.example".into(),
            );
        }
        for origin in &self.origins {
            let exact = url::Url::parse(origin)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .map(|u| u.origin().ascii_serialization());
            if exact.as_deref() != Some(origin.as_str()) {
                problems.push(format!(
                    "site.origins: `{origin}` is not an origin such as https://journal.example \
                     (scheme and host, no path, no trailing slash)"
                ));
            }
        }
    }
}

impl PrivacySettings {
    pub(super) fn check(&self, problems: &mut Vec<String>) {
        if self.optout_link_days == 0 {
            problems.push("privacy.optout_link_days: at least 1".into());
        }
        if self.ip_hash_key.expose_secret().len() < 16 {
            problems.push("privacy.ip_hash_key: at least 16 characters".into());
        }
    }
}

impl LogSettings {
    pub(super) fn check(&self, problems: &mut Vec<String>) {
        if !["text", "json"].contains(&self.format.as_str()) {
            problems.push("log.format: `text` or `json`".into());
        }
    }
}

impl MetricsSettings {
    pub(super) fn check(&self, problems: &mut Vec<String>) {
        if self
            .token
            .as_ref()
            .is_some_and(|t| t.expose_secret().chars().count() < 16)
        {
            problems.push("metrics.token: at least 16 characters".into());
        }
    }
}

impl HttpSettings {
    /// The limits that keep slow or many clients from holding the server.
    pub(super) fn check(&self, problems: &mut Vec<String>) {
        for (key, value) in [
            ("http.body_timeout_ms", self.body_timeout_ms),
            ("http.header_timeout_ms", self.header_timeout_ms),
        ] {
            if value < 100 {
                problems.push(format!("{key}: at least 100"));
            }
        }
        if self.max_connections == 0 {
            problems.push("http.max_connections: at least 1".into());
        }
    }
}

impl Settings {
    /// Retention: every period reads, the purge has an interval, and a queue that says otherwise
    /// than its desk is a configured queue.
    pub(super) fn check_retention(&self, problems: &mut Vec<String>) {
        let r = &self.retention;
        if r.purge_every_hours == 0 {
            problems.push("retention.purge_every_hours: at least 1".into());
        }
        let mut period = |key: String, text: &str| {
            if let Err(e) = Keep::parse(text) {
                problems.push(format!("{key}: {e}"));
            }
        };
        period("retention.dead_mail_bodies".into(), &r.dead_mail_bodies);
        period("retention.unmatched_inbound".into(), &r.unmatched_inbound);
        let mut sections: Vec<(String, &StatusPeriods)> = vec![
            ("retention.editorial".into(), &r.editorial),
            ("retention.commercial".into(), &r.commercial),
        ];
        sections.extend(
            r.queues
                .iter()
                .map(|(name, p)| (format!("retention.queues.{name}"), p)),
        );
        for (section, periods) in &sections {
            for status in Status::ALL.iter().copied() {
                if let Some(text) = periods.get(status) {
                    period(format!("{section}.{}", status.as_str()), text);
                }
            }
        }
        for name in r.queues.keys() {
            if !self.queues.contains_key(name) {
                problems.push(format!(
                    "retention.queues.{name}: no such queue (see [queues])"
                ));
            }
        }
    }
}
