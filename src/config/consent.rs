//! The consent text each form shows, in each language, under a version id; and the SHA-256 of
//! every version's texts ever shown, so that a submission's stored hash always names a text, and
//! a text changed without a new version stops start-up.

use std::collections::BTreeMap;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::domain::Locale;

/// One text per language.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentTexts {
    pub fr: String,
    pub en: String,
}

impl ConsentTexts {
    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::Fr => &self.fr,
            Locale::En => &self.en,
        }
    }
}

/// The SHA-256 (hex) of one version's text in each language.
pub type ConsentHashes = ConsentTexts;

/// The hex SHA-256 of a text, as stored with each submission.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks the current texts against the recorded hashes of their version.
pub(super) fn check(
    version: &str,
    texts: &ConsentTexts,
    history: &BTreeMap<String, ConsentHashes>,
    problems: &mut Vec<String>,
) {
    if version.trim().is_empty() || version.chars().any(char::is_control) {
        problems.push("site.consent_version: a non-empty version id".into());
    }
    for (lang, text) in [("fr", &texts.fr), ("en", &texts.en)] {
        if text.trim().is_empty() {
            problems.push(format!("site.consent_text.{lang}: the text the form shows"));
        }
    }
    let (fr, en) = (sha256_hex(&texts.fr), sha256_hex(&texts.en));
    match history.get(version) {
        None => problems.push(format!(
            "site.consent_history.\"{version}\": record the current version's hashes \
             (fr = \"{fr}\", en = \"{en}\")"
        )),
        Some(recorded) if recorded.fr != fr || recorded.en != en => problems.push(format!(
            "site.consent_text: the text of version \"{version}\" changed without a new \
             site.consent_version; give the new text a new version and record its hashes \
             (fr = \"{fr}\", en = \"{en}\") under site.consent_history"
        )),
        Some(_) => {}
    }
}
