//! The closed sets: forms, topics, queues' names, statuses, priorities, locales.

use std::fmt;

/// A text that is not one of the values a closed set allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value `{0}`")]
pub struct UnknownValue(pub String);

/// A closed set of values stored and exchanged as text.
macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Result<Self, $crate::domain::UnknownValue> {
                match s { $($text => Ok($name::$variant),)+ _ => Err($crate::domain::UnknownValue(s.to_owned())) }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// A value equals the text it is stored and exchanged as.
        impl PartialEq<&str> for $name {
            fn eq(&self, text: &&str) -> bool {
                self.as_str() == *text
            }
        }
    };
}

text_enum!(
    /// Which of the two article-page forms a submission came from.
    FormKind { Newsroom => "newsroom", Sales => "sales" }
);
text_enum!(
    /// How a submission came in: a form post, or an e-mail to a queue's address.
    Channel { Web => "web", Email => "email" }
);

// The macro derives nothing on variants, so the default is written out.
#[allow(clippy::derivable_impls)]
impl Default for Channel {
    fn default() -> Self {
        Channel::Web
    }
}
text_enum!(
    /// Lifecycle of a submission in its queue.
    Status { New => "new", Open => "open", Waiting => "waiting", Resolved => "resolved", Spam => "spam" }
);
text_enum!(
    /// Why an e-mail is in the outbox: to the team, a new submission (`team_notification`),
    /// the reader's answer on a thread (`reply_notice`) or a deadline coming due
    /// (`duty_reminder`); to the reader, the acknowledgement (`reader_ack`), a staff reply
    /// (`staff_reply`) or how a right-of-reply request was closed (`reader_outcome`); to a new
    /// colleague, the invitation to set a password (`invitation`, about no submission).
    MailPurpose {
        TeamNotification => "team_notification",
        ReaderAck => "reader_ack",
        StaffReply => "staff_reply",
        ReplyNotice => "reply_notice",
        DutyReminder => "duty_reminder",
        ReaderOutcome => "reader_outcome",
        Invitation => "invitation",
    }
);

impl MailPurpose {
    /// The purposes of e-mails written to the reader (the others go to staff).
    pub const TO_READER: [MailPurpose; 3] = [
        MailPurpose::ReaderAck,
        MailPurpose::StaffReply,
        MailPurpose::ReaderOutcome,
    ];
}
text_enum!(
    /// Where an e-mail of the outbox stands: waiting (or being sent), handed to the relay, or
    /// given up.
    MailStatus { Pending => "pending", Sent => "sent", Dead => "dead" }
);
text_enum!(Priority { Low => "low", Normal => "normal", High => "high", Urgent => "urgent" });
text_enum!(
    /// The reader's language; French unless the reader or the browser says English.
    Locale { Fr => "fr", En => "en" }
);
text_enum!(
    /// What the reader writes about. Each form offers its own subset.
    Topic {
        Tip => "tip",
        Correction => "correction",
        RightOfReply => "right_of_reply",
        Feedback => "feedback",
        Advertising => "advertising",
        Subscription => "subscription",
        Partnership => "partnership",
        Licensing => "licensing",
        Other => "other",
    }
);

impl Topic {
    pub fn for_form(form: FormKind) -> &'static [Topic] {
        use Topic::*;
        match form {
            FormKind::Newsroom => &[Tip, Correction, RightOfReply, Feedback, Other],
            FormKind::Sales => &[Advertising, Subscription, Partnership, Licensing, Other],
        }
    }

    /// Parses a topic only if the given form offers it.
    pub fn parse_for(form: FormKind, s: &str) -> Result<Topic, UnknownValue> {
        let topic = Topic::parse(s)?;
        if Topic::for_form(form).contains(&topic) {
            Ok(topic)
        } else {
            Err(UnknownValue(s.to_owned()))
        }
    }
}

impl Locale {
    /// The colon as each language writes it after a label: French puts a narrow no-break space
    /// before it, English nothing. Pages and e-mails both take it from here.
    pub fn colon(self) -> &'static str {
        match self {
            Locale::Fr => "\u{202f}:",
            Locale::En => ":",
        }
    }

    /// Picks the first of our languages in an `Accept-Language` header, by quality.
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        let mut tags: Vec<(f32, &str)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.trim().split(';');
                let tag = pieces.next()?.trim();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                Some((q, tag))
            })
            .collect();
        tags.sort_by(|a, b| b.0.total_cmp(&a.0));
        tags.into_iter()
            .filter(|(q, _)| *q > 0.0)
            .find_map(|(_, tag)| {
                let primary = tag.split('-').next()?.to_ascii_lowercase();
                Locale::parse(&primary).ok()
            })
    }
}

/// The name of a configured queue (`editorial`, `commercial`, …).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueName(String);

impl QueueName {
    pub fn parse(s: &str) -> Result<QueueName, UnknownValue> {
        let ok = !s.is_empty()
            && s.len() <= 40
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if ok {
            Ok(QueueName(s.to_owned()))
        } else {
            Err(UnknownValue(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A name equals its text.
impl PartialEq<&str> for QueueName {
    fn eq(&self, text: &&str) -> bool {
        self.as_str() == *text
    }
}

impl fmt::Display for QueueName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_prefers_highest_quality_known_language() {
        assert_eq!(
            Locale::from_accept_language("de-DE, en;q=0.8, fr;q=0.9"),
            Some(Locale::Fr)
        );
        assert_eq!(
            Locale::from_accept_language("en-GB,en;q=0.9"),
            Some(Locale::En)
        );
        assert_eq!(Locale::from_accept_language("de, it"), None);
        assert_eq!(
            Locale::from_accept_language("fr;q=0, en;q=0.1"),
            Some(Locale::En)
        );
    }

    #[test]
    fn topics_belong_to_their_form() {
        assert!(Topic::parse_for(FormKind::Newsroom, "tip").is_ok());
        assert!(Topic::parse_for(FormKind::Sales, "tip").is_err());
        assert!(Topic::parse_for(FormKind::Sales, "licensing").is_ok());
        assert!(Topic::parse_for(FormKind::Newsroom, "Tip").is_err());
    }
}
