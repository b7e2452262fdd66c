//! Is a submission suspect? Every clue is weighed and named; a suspect submission is kept and
//! quarantined, never dropped nor refused, so a genuine reader caught by mistake loses nothing.
//!
//! Clues: the honeypot field, the signed form token (too fast, forged, old or, if required,
//! missing), links in the message, the block lists, and an optional CAPTCHA checked
//! server-side (a provider that fails or is slow counts as a clue, never as a refusal).

use std::net::IpAddr;
use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

use crate::config::networks::Networks;
use crate::config::AntispamSettings;
use crate::domain::{FormKind, NewSubmission};

/// What a post carried besides the form's own fields.
#[derive(Debug, Default, Clone)]
pub struct Clues {
    /// The honeypot's value, if the field was sent (as text: any other JSON type is refused as
    /// malformed before the checks).
    pub honeypot: Option<String>,
    pub form_token: Option<String>,
    pub captcha: Option<String>,
}

pub struct Screen {
    settings: AntispamSettings,
    token_key: Vec<u8>,
    blocked_networks: Networks,
    blocked_emails: Vec<String>,
    blocked_domains: Vec<String>,
    blocked_words: Vec<String>,
    captcha: Option<(String, String, reqwest::Client)>,
}

type HmacSha256 = Hmac<Sha256>;

/// How much of the HMAC a form token carries: 144 bits.
const SIGNATURE_BYTES: usize = 18;

impl Screen {
    /// `secret` is the deployment's own key (`privacy.ip_hash_key`); tokens are signed with a
    /// key derived from it, so one secret serves both without one revealing the other.
    pub fn new(settings: &AntispamSettings, secret: &str) -> anyhow::Result<Screen> {
        let mut mac = HmacSha256::new_from_slice(secret.as_bytes())?;
        mac.update(b"courrier form token v1");
        let token_key = mac.finalize().into_bytes().to_vec();
        let lower = |list: &[String]| -> Vec<String> {
            list.iter()
                .map(|s| s.trim().to_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let captcha = match (&settings.captcha.verify_url, &settings.captcha.secret) {
            (Some(url), Some(secret)) => Some((
                url.clone(),
                secret.expose_secret().to_owned(),
                reqwest::Client::builder()
                    .timeout(Duration::from_millis(settings.captcha.timeout_ms))
                    .build()?,
            )),
            _ => None,
        };
        Ok(Screen {
            blocked_networks: Networks::new(&settings.blocked_networks),
            blocked_emails: lower(&settings.blocked_emails),
            blocked_domains: lower(&settings.blocked_domains)
                .into_iter()
                .map(|d| d.trim_start_matches('@').to_owned())
                .collect(),
            blocked_words: lower(&settings.blocked_words),
            settings: settings.clone(),
            token_key,
            captcha,
        })
    }

    pub fn honeypot_field(&self) -> &str {
        &self.settings.honeypot_field
    }

    pub fn captcha_field(&self) -> &str {
        &self.settings.captcha.field
    }

    /// A token for one form, stamped with the time it was issued (milliseconds since 1970).
    pub fn issue(&self, form: FormKind, issued_ms: i64) -> String {
        let payload = format!("{}.{issued_ms}", form.as_str());
        format!("{payload}.{}", self.sign(&payload))
    }

    fn mac(&self, payload: &str) -> Option<HmacSha256> {
        // The key is 32 bytes: HMAC takes any length, so this never fails.
        let mut mac = HmacSha256::new_from_slice(&self.token_key).ok()?;
        mac.update(payload.as_bytes());
        Some(mac)
    }

    /// The signature: the first 18 bytes of the HMAC, in base64url.
    fn sign(&self, payload: &str) -> String {
        self.mac(payload).map_or_else(String::new, |mac| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(&mac.finalize().into_bytes()[..SIGNATURE_BYTES])
        })
    }

    fn check_token(&self, form: FormKind, token: &str, now_ms: i64) -> Option<&'static str> {
        let Some((payload, signature)) = token.trim().rsplit_once('.') else {
            return Some("invalid_token");
        };
        // hmac's own check compares in constant time.
        let genuine = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(signature)
            .ok()
            .filter(|sig| sig.len() == SIGNATURE_BYTES)
            .zip(self.mac(payload))
            .is_some_and(|(sig, mac)| mac.verify_truncated_left(&sig).is_ok());
        let issued = payload
            .split_once('.')
            .filter(|(f, _)| *f == form.as_str())
            .and_then(|(_, ms)| ms.parse::<i64>().ok());
        let (true, Some(issued)) = (genuine, issued) else {
            return Some("invalid_token");
        };
        let age_ms = now_ms - issued;
        let min_ms = i64::try_from(self.settings.min_seconds.saturating_mul(1000)).unwrap_or(0);
        let max_ms =
            i64::try_from(self.settings.token_max_age_seconds.saturating_mul(1000)).unwrap_or(0);
        if age_ms < -5_000 {
            Some("invalid_token")
        } else if age_ms < min_ms {
            Some("too_fast")
        } else if age_ms > max_ms {
            Some("expired_token")
        } else {
            None
        }
    }

    /// Whether a CAPTCHA is configured (its answers are single-use: a form shown again asks
    /// again).
    pub fn captcha_configured(&self) -> bool {
        self.captcha.is_some()
    }

    /// Whether a posted token may be handed back on the form's error page: genuine, for this
    /// form and not expired (posted too fast is fine: it ages while the reader corrects).
    pub fn token_reusable(&self, form: FormKind, token: &str, now_ms: i64) -> bool {
        matches!(
            self.check_token(form, token, now_ms),
            None | Some("too_fast")
        )
    }

    /// Every clue against the submission, by name; empty when it looks genuine.
    pub async fn reasons(
        &self,
        s: &NewSubmission,
        clues: &Clues,
        ip: Option<IpAddr>,
        now_ms: i64,
    ) -> Vec<&'static str> {
        let mut reasons = Vec::new();
        if clues.honeypot.as_deref().is_some_and(|v| !v.is_empty()) {
            reasons.push("honeypot");
        }
        match clues.form_token.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(token) => reasons.extend(self.check_token(s.form, token, now_ms)),
            None if self.settings.require_token => reasons.push("missing_token"),
            None => {}
        }
        if links(s) > self.settings.max_links {
            reasons.push("too_many_links");
        }
        let email = s.email.folded();
        if self.blocked_emails.contains(&email) {
            reasons.push("blocked_email");
        }
        let domain = email.rsplit_once('@').map_or("", |(_, d)| d);
        if self
            .blocked_domains
            .iter()
            .any(|d| domain == d || domain.ends_with(&format!(".{d}")))
        {
            reasons.push("blocked_domain");
        }
        if ip.is_some_and(|ip| self.blocked_networks.contains(ip)) {
            reasons.push("blocked_network");
        }
        if !self.blocked_words.is_empty() {
            let text = texts(s).join("\n").to_lowercase();
            if self.blocked_words.iter().any(|w| text.contains(w.as_str())) {
                reasons.push("blocked_word");
            }
        }
        if let Some(reason) = self.captcha(clues.captcha.as_deref(), ip).await {
            reasons.push(reason);
        }
        reasons
    }

    async fn captcha(&self, response: Option<&str>, ip: Option<IpAddr>) -> Option<&'static str> {
        let (url, secret, client) = self.captcha.as_ref()?;
        let Some(response) = response.filter(|r| !r.trim().is_empty()) else {
            return Some("captcha_missing");
        };
        let mut form = vec![
            ("secret", secret.clone()),
            ("response", response.to_owned()),
        ];
        if let Some(ip) = ip {
            form.push(("remoteip", ip.to_string()));
        }
        #[derive(serde::Deserialize)]
        struct Verdict {
            success: bool,
        }
        let verdict = async {
            client
                .post(url)
                .form(&form)
                .send()
                .await?
                .error_for_status()?
                .json::<Verdict>()
                .await
        };
        match verdict.await {
            Ok(Verdict { success: true }) => None,
            Ok(Verdict { success: false }) => Some("captcha_failed"),
            Err(e) => {
                tracing::warn!(error = %e.without_url(), "CAPTCHA provider did not answer");
                Some("captcha_unavailable")
            }
        }
    }
}

/// The reader's free texts.
fn texts(s: &NewSubmission) -> Vec<&str> {
    let mut out = vec![s.name.as_str(), s.message.as_str()];
    out.extend(s.subject.as_ref().map(|x| x.as_str()));
    out.extend(s.organisation.as_ref().map(|x| x.as_str()));
    out.extend(s.article_title.as_ref().map(|x| x.as_str()));
    out
}

/// Links in the subject and the message: each `scheme://` and each bare `www.`.
fn links(s: &NewSubmission) -> usize {
    let text = [
        s.message.as_str(),
        s.subject.as_ref().map_or("", |x| x.as_str()),
    ]
    .join("\n")
    .to_lowercase();
    let schemes = text.matches("://").count();
    let bare = text
        .match_indices("www.")
        .filter(|(i, _)| !text[..*i].ends_with("//"))
        .count();
    schemes + bare
}

/// What staff should be told about the text: `bidi` when it holds bidirectional embedding,
/// override or isolate controls, which can make text display in another order than it reads.
pub fn flags(s: &NewSubmission) -> Vec<&'static str> {
    let mut flags = Vec::new();
    if texts(s)
        .iter()
        .any(|t| crate::domain::holds_bidi_controls(t))
    {
        flags.push("bidi");
    }
    // A right of reply asked for over three months after publication: kept and handled, flagged
    // for staff to decide.
    let late = s
        .article_published_at
        .is_some_and(|p| crate::domain::duties::out_of_time(p, crate::db::now()));
    if s.topic == crate::domain::Topic::RightOfReply && late {
        flags.push(crate::domain::duties::OUT_OF_TIME);
    }
    flags
}
