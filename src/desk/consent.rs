//! Which consent text a reader was shown: the version the post names (or the current one) and
//! the SHA-256 of that version's text in the reader's language, as recorded in configuration.

use crate::config::consent::sha256_hex;
use crate::config::Settings;
use crate::domain::Locale;

/// The consent a submission records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub version: String,
    pub sha256: String,
}

/// A version the configuration does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown consent version")]
pub struct UnknownVersion;

/// The consent shown to a reader writing in `locale`, who names `asked` (or nothing: the
/// current version). A past version is stored as sent, with its recorded hash.
pub fn shown(
    settings: &Settings,
    locale: Locale,
    asked: Option<&str>,
) -> Result<Shown, UnknownVersion> {
    let site = &settings.site;
    match asked {
        None => Ok(Shown {
            version: site.consent_version.clone(),
            sha256: sha256_hex(site.consent_text.get(locale)),
        }),
        Some(v) => site
            .consent_history
            .get(v)
            .map(|hashes| Shown {
                version: v.to_owned(),
                sha256: hashes.get(locale).to_owned(),
            })
            .ok_or(UnknownVersion),
    }
}
