//! The settings of the abuse defences: what makes a submission suspect, the flood limits, and
//! their checks.

use secrecy::SecretString;
use serde::Deserialize;

use super::{list_or_csv, Settings};

/// What makes a submission suspect. A suspect submission is kept, quarantined as spam, and
/// answered exactly as any other; no e-mail leaves for it until staff release it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AntispamSettings {
    /// A field people never see nor fill (the demo page hides it); a value marks a bot.
    pub honeypot_field: String,
    /// Submissions sooner than this after the form's token was issued are suspect.
    pub min_seconds: u64,
    /// Tokens older than this are suspect.
    pub token_max_age_seconds: u64,
    /// A missing token is suspect too (for sites that embed it in every form).
    pub require_token: bool,
    /// More links than this in the message is suspect.
    pub max_links: usize,
    /// Reader addresses, exactly (case aside).
    #[serde(default, deserialize_with = "list_or_csv")]
    pub blocked_emails: Vec<String>,
    /// Address domains, with their subdomains.
    #[serde(default, deserialize_with = "list_or_csv")]
    pub blocked_domains: Vec<String>,
    /// Client addresses or networks (`203.0.113.0/24`).
    #[serde(default, deserialize_with = "list_or_csv")]
    pub blocked_networks: Vec<String>,
    /// Words or phrases, case aside, anywhere in the name, organisation, subject or message.
    #[serde(default, deserialize_with = "list_or_csv")]
    pub blocked_words: Vec<String>,
    #[serde(default)]
    pub captcha: CaptchaSettings,
}

/// An optional CAPTCHA checked server-side, in the Turnstile / hCaptcha / reCAPTCHA style: the
/// form's response field is posted with the secret to `verify_url`, which answers
/// `{"success": true|false}`. A failed check, or a provider that is down or slow, quarantines.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptchaSettings {
    pub verify_url: Option<String>,
    pub secret: Option<SecretString>,
    /// The form field carrying the widget's response.
    pub field: String,
    pub timeout_ms: u64,
}

impl Default for CaptchaSettings {
    fn default() -> Self {
        CaptchaSettings {
            verify_url: None,
            secret: None,
            field: "captcha_response".into(),
            timeout_ms: 3000,
        }
    }
}

/// Flood limits of the public forms, and how long idempotency keys live.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    /// Posts per client address and minute, on both forms together.
    pub form_per_ip_per_minute: u32,
    /// Submissions per reader address and hour.
    pub form_per_email_per_hour: u32,
    /// An `Idempotency-Key` answers with its first submission for this long.
    pub idempotency_hours: u32,
    /// Acknowledgements per reader mailbox and day (plus tags folded); past it the submission
    /// is kept and notified, only the acknowledgement is skipped.
    pub ack_per_mailbox_per_day: u32,
    /// Acknowledgements per address domain and hour, likewise.
    pub ack_per_domain_per_hour: u32,
    /// Where the per-client, per-reader and sign-in limits count: `memory` (this process) or
    /// `redis://…` (one quota for every instance).
    #[serde(default)]
    pub store: super::LimitStore,
    /// Prefix of the limits' keys in Redis, so several deployments can share one.
    #[serde(default = "default_store_prefix")]
    pub store_prefix: String,
}

fn default_store_prefix() -> String {
    "courrier".into()
}

/// Every problem with the abuse settings (and the proxies they trust), by key.
pub(super) fn check(s: &Settings, problems: &mut Vec<String>) {
    for (key, list) in [
        ("http.trusted_proxies", &s.http.trusted_proxies),
        ("antispam.blocked_networks", &s.antispam.blocked_networks),
    ] {
        for net in list {
            if super::networks::parse_network(net).is_none() {
                problems.push(format!("{key}: `{net}` is not an address or a network"));
            }
        }
    }
    for (key, value) in [
        (
            "limits.form_per_ip_per_minute",
            s.limits.form_per_ip_per_minute,
        ),
        (
            "limits.form_per_email_per_hour",
            s.limits.form_per_email_per_hour,
        ),
        ("limits.idempotency_hours", s.limits.idempotency_hours),
        (
            "limits.ack_per_mailbox_per_day",
            s.limits.ack_per_mailbox_per_day,
        ),
        (
            "limits.ack_per_domain_per_hour",
            s.limits.ack_per_domain_per_hour,
        ),
    ] {
        if value == 0 {
            problems.push(format!("{key}: at least 1"));
        }
    }
    let captcha = &s.antispam.captcha;
    if let Some(url) = &captcha.verify_url {
        if !url.starts_with("https://") && !url.starts_with("http://") {
            problems.push("antispam.captcha.verify_url: an http(s) URL".into());
        }
        if captcha.secret.is_none() {
            problems.push("antispam.captcha.secret: required with a verify_url".into());
        }
    }
    let reserved = [crate::domain::TOKEN_FIELD, captcha.field.as_str()];
    let field = s.antispam.honeypot_field.as_str();
    if field.is_empty()
        || !field
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        || reserved.contains(&field)
        || crate::domain::FORM_FIELDS.contains(&field)
    {
        problems.push(format!(
            "antispam.honeypot_field: `{field}` must be a plain name no form field uses"
        ));
    }
}
