//! `[site]`: the site the forms are on, its consent text and origins, and their check.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{consent, list_or_csv};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSettings {
    pub name: String,
    pub thank_you_url: String,
    /// Origins (`https://journal.example`) whose pages may post the forms from a browser script
    /// and frame Courrier's pages.
    #[serde(default, deserialize_with = "list_or_csv")]
    pub origins: Vec<String>,
    /// Version of the consent text the forms display; stored with each submission.
    pub consent_version: String,
    /// The consent text of `consent_version`, in each language (`consent.rs`).
    pub consent_text: consent::ConsentTexts,
    /// Every version's SHA-256 per language, the current one's included.
    pub consent_history: BTreeMap<String, consent::ConsentHashes>,
    /// Where readers reach Courrier itself (`https://courrier.journal.example`): the links it
    /// puts in e-mails (the marketing opt-out) start with it.
    #[serde(default = "default_public_url")]
    pub public_url: String,
    /// The newsroom's time zone: every time the console and the e-mails show is in it.
    #[serde(default)]
    pub timezone: crate::domain::Zone,
}

pub(super) fn default_public_url() -> String {
    "http://127.0.0.1:8080".into()
}

impl SiteSettings {
    /// Whether `url` is a page of the site itself: an http(s) address whose origin is one of
    /// `origins`. Only such an address is linked back to from Courrier's pages (the thank-you
    /// page's "back to the article"); any other would make them a link to wherever a hostile
    /// page chose.
    pub fn is_site_page(&self, url: &str) -> bool {
        url::Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .is_some_and(|u| self.origins.contains(&u.origin().ascii_serialization()))
    }

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
