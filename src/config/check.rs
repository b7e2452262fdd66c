//! The settings' check as a whole: each section checks itself (in its own file), then
//! production's own demands; every problem is named by its key, and start-up (or `courrier
//! config check`) lists them all at once.

use secrecy::ExposeSecret;

use super::{abuse, consent, inbound, retention, ConfigError, Settings};

/// Values that must reach a floor.
pub(super) fn at_least(problems: &mut Vec<String>, checks: &[(&str, u64, u64)]) {
    for (key, value, min) in checks {
        if value < min {
            problems.push(format!("{key}: at least {min}"));
        }
    }
}

impl Settings {
    /// Checks what serde cannot, each section itself (in its own file), then what production
    /// needs: every problem at once, named by key; `Ok` when none.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        self.database.check(&mut problems);
        self.mail.check(&mut problems);
        self.auth.check(&mut problems);
        self.check_queues_and_routing(&mut problems);
        self.site.check(&mut problems);
        consent::check(
            &self.site.consent_version,
            &self.site.consent_text,
            &self.site.consent_history,
            &mut problems,
        );
        self.privacy.check(&mut problems);
        self.http.check(&mut problems);
        abuse::check(self, &mut problems);
        self.log.check(&mut problems);
        self.metrics.check(&mut problems);
        self.duties.check(&mut problems);
        retention::check(self, &mut problems);
        inbound::check(self, &mut problems);
        if self.environment == "production" {
            problems.extend(self.production_problems());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }
}

/// The IP-hash key shipped in `config/base.toml`; public, so never good enough in production.
const SHIPPED_IP_HASH_KEY: &str = "change-me-local-only-key";

impl Settings {
    /// Defaults that are fine on a laptop and wrong in production.
    fn production_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.privacy.ip_hash_key.expose_secret() == SHIPPED_IP_HASH_KEY {
            problems.push(
                "privacy.ip_hash_key: the shipped key is public; set your own \
                 (COURRIER__PRIVACY__IP_HASH_KEY)"
                    .into(),
            );
        }
        if !self.auth.cookie_secure {
            problems.push("auth.cookie_secure: must be true in production (HTTPS only)".into());
        }
        if self.site.public_url == super::site::default_public_url() {
            problems.push(
                "site.public_url: the address readers reach Courrier at (the links in e-mails \
                 start with it), not the shipped default"
                    .into(),
            );
        }
        let local = |addr: &str| addr.trim_end_matches('>').ends_with("@localhost");
        if local(&self.mail.from) {
            problems.push("mail.from: a real address, not @localhost".into());
        }
        if self
            .duties
            .right_of_reply
            .escalate_to
            .iter()
            .any(|a| local(a))
        {
            problems
                .push("duties.right_of_reply.escalate_to: real addresses, not @localhost".into());
        }
        for (name, queue) in &self.queues {
            if queue.notify.iter().any(|a| local(a)) {
                problems.push(format!(
                    "queues.{name}.notify: real addresses, not @localhost"
                ));
            }
        }
        problems
    }
}
