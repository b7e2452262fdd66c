//! The newsroom's legal duties in its own words: the right of reply's clocks (LCEN art. 6-IV,
//! décret 2007-1527) and how a right of reply or a correction is closed.

use chrono::{Months, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::{ArticleUrl, FieldError, MessageBody, Msg, Topic};

/// A reader may ask for a reply within three months of the article's publication.
pub const REPLY_WINDOW_MONTHS: u32 = 3;

/// The flag a late request carries.
pub const OUT_OF_TIME: &str = "out_of_time";

/// The longest refusal note or correction text, in characters.
pub const OUTCOME_TEXT_MAX: usize = 5_000;

/// A publication date as the site sends it: `YYYY-MM-DD`.
/// Exactly ten characters, as RFC 3339's `full-date`: nothing around it.
pub fn publication_date(raw: &str) -> Result<NaiveDate, FieldError> {
    let shaped = raw.len() == 10
        && raw.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    shaped
        .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| FieldError::new(Msg::InvalidDate))
}

/// Whether a request received at `received` came more than three months after the article's
/// publication. Such a request is flagged, never refused: staff decide.
pub fn out_of_time(published: NaiveDate, received: NaiveDateTime) -> bool {
    published
        .checked_add_months(Months::new(REPLY_WINDOW_MONTHS))
        .is_some_and(|last_day| received.date() > last_day)
}

text_enum!(
    /// Why a right of reply may lawfully be refused.
    RefusalGrounds {
        ContraryToLaw => "contrary_to_law",
        ThirdPartyInterest => "third_party_interest",
        JournalistHonour => "journalist_honour",
        Unrelated => "unrelated",
        TooLong => "too_long",
        OutOfTime => "out_of_time",
    }
);

text_enum!(
    /// The three ways a duty is closed.
    OutcomeKind { Inserted => "inserted", Refused => "refused", Corrected => "corrected" }
);

/// How a right of reply or a correction request was closed, as staff send it and as it is
/// stored (JSON, tagged by `kind`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// The reply was published: where, and when.
    Inserted {
        url: String,
        /// A date (`YYYY-MM-DD`) or an RFC 3339 time.
        published_at: String,
    },
    /// The reply was refused, on one of the grounds the law allows.
    Refused {
        grounds: RefusalGrounds,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The article was corrected.
    Corrected {
        article_url: String,
        /// The correction as published.
        text: String,
        /// Whether it is listed on the public corrections page and feeds.
        public: bool,
    },
}

/// An outcome's text (a correction as published, a refusal's note), checked and trimmed:
/// bounded, without control characters, and without a character the corrections' Atom feed
/// could not carry.
pub fn outcome_text(raw: &str) -> Result<String, FieldError> {
    if raw.chars().count() > OUTCOME_TEXT_MAX {
        return Err(FieldError::new(Msg::TooLong {
            max: OUTCOME_TEXT_MAX,
        }));
    }
    let text = MessageBody::parse(raw)?;
    super::xml::check(text.as_str())?;
    Ok(text.as_str().trim().to_owned())
}

impl Outcome {
    pub fn kind(&self) -> OutcomeKind {
        match self {
            Outcome::Inserted { .. } => OutcomeKind::Inserted,
            Outcome::Refused { .. } => OutcomeKind::Refused,
            Outcome::Corrected { .. } => OutcomeKind::Corrected,
        }
    }

    /// Checks the outcome's fields and that it fits the submission's topic; returns it with its
    /// texts trimmed.
    pub fn checked(self, topic: Topic) -> Result<Outcome, FieldError> {
        let fits = matches!(
            (topic, self.kind()),
            (
                Topic::RightOfReply,
                OutcomeKind::Inserted | OutcomeKind::Refused
            ) | (Topic::Correction, OutcomeKind::Corrected)
        );
        if !fits {
            return Err(FieldError::new(Msg::OutcomeNotForTopic));
        }
        let text = outcome_text;
        Ok(match self {
            Outcome::Inserted { url, published_at } => {
                let at = published_at.trim();
                let valid = chrono::DateTime::parse_from_rfc3339(at).is_ok()
                    || NaiveDate::parse_from_str(at, "%Y-%m-%d").is_ok();
                if !valid {
                    return Err(FieldError::new(Msg::InvalidDate));
                }
                Outcome::Inserted {
                    url: ArticleUrl::parse(&url)?.as_str().to_owned(),
                    published_at: at.to_owned(),
                }
            }
            Outcome::Refused { grounds, note } => Outcome::Refused {
                grounds,
                note: match note.as_deref().map(str::trim) {
                    None | Some("") => None,
                    Some(n) => Some(text(n)?),
                },
            },
            Outcome::Corrected {
                article_url,
                text: body,
                public,
            } => Outcome::Corrected {
                article_url: ArticleUrl::parse(&article_url)?.as_str().to_owned(),
                text: text(&body)?,
                public,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(date: &str) -> NaiveDateTime {
        NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
    }

    #[test]
    fn three_months_run_to_the_same_day_of_the_third_month() {
        let published = publication_date("2026-01-31").unwrap();
        assert!(!out_of_time(published, at("2026-04-30")));
        assert!(out_of_time(published, at("2026-05-01")));
        let published = publication_date("2026-03-15").unwrap();
        assert!(!out_of_time(published, at("2026-06-15")));
        assert!(out_of_time(published, at("2026-06-16")));
    }

    #[test]
    fn an_outcome_must_fit_the_topic() {
        let refused = Outcome::Refused {
            grounds: RefusalGrounds::TooLong,
            note: None,
        };
        assert!(refused.clone().checked(Topic::RightOfReply).is_ok());
        assert!(refused.checked(Topic::Correction).is_err());
        assert!(publication_date("2026-02-30").is_err());
    }
}
