//! `[privacy]`: the IP-hash key, exports and the marketing opt-out, and their check.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacySettings {
    /// Key of the HMAC that turns client IPs into pseudonymous hashes.
    pub ip_hash_key: SecretString,
    /// Whether a data export (`privacy export`) carries the text of internal notes, or only
    /// their author and date.
    #[serde(default = "yes")]
    pub export_note_text: bool,
    /// Days a marketing opt-out link stays valid after its e-mail was written.
    #[serde(default = "default_optout_link_days")]
    pub optout_link_days: u32,
}

fn yes() -> bool {
    true
}

fn default_optout_link_days() -> u32 {
    365
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
