//! The reader's fields, each a newtype that can only hold a valid value.

use std::str::FromStr;

use validator::ValidateEmail;

use super::{FieldError, Msg};

/// One-line text (name, subject, organisation, article title): trimmed of surrounding white space
/// (a pasted trailing line break included), bounded, with no line break or control character
/// inside, so it is safe in an e-mail header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneLine(String);

impl OneLine {
    /// `max_chars` bounds the value as sent, white space included.
    pub fn parse(raw: &str, max_chars: usize) -> Result<OneLine, FieldError> {
        if raw.chars().count() > max_chars {
            return Err(FieldError::new(Msg::TooLong { max: max_chars }));
        }
        let s = raw.trim();
        if s.is_empty() {
            return Err(FieldError::new(Msg::Required));
        }
        if s.chars().any(is_forbidden_in_line) {
            return Err(FieldError::new(Msg::LineBreakOrControl));
        }
        Ok(OneLine(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Control characters and the Unicode line and paragraph separators.
fn is_forbidden_in_line(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

/// The message body: multi-line, bounded, kept exactly as sent apart from refusing NUL and
/// the C0 controls other than tab and line breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    pub const MAX_CHARS: usize = 10_000;

    pub fn parse(raw: &str) -> Result<MessageBody, FieldError> {
        if raw.trim().is_empty() {
            return Err(FieldError::new(Msg::Required));
        }
        if raw
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(FieldError::new(Msg::ControlCharacter));
        }
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(Msg::TooLong {
                max: Self::MAX_CHARS,
            }));
        }
        Ok(MessageBody(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A reader's e-mail address, checked and normalised (trimmed, domain lower-cased), held as
/// the mailer's own address type: parsed once, from the form to the envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderEmail(lettre::Address);

impl ReaderEmail {
    pub const MAX_CHARS: usize = 254;

    pub fn parse(raw: &str) -> Result<ReaderEmail, FieldError> {
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(Msg::TooLong {
                max: Self::MAX_CHARS,
            }));
        }
        let s = raw.trim();
        if s.is_empty() {
            return Err(FieldError::new(Msg::Required));
        }
        let invalid = || FieldError::new(Msg::InvalidEmail);
        if s.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(invalid());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(invalid)?;
        // The local part in ASCII, as browsers' own check requires; the domain in its ASCII
        // (IDNA) form, so that every relay can deliver without SMTPUTF8.
        if !local.is_ascii() {
            return Err(invalid());
        }
        let domain = match url::Host::parse(domain) {
            Ok(url::Host::Domain(ascii)) => ascii,
            _ => return Err(invalid()),
        };
        let normalised = format!("{local}@{domain}");
        // The ASCII form of an international domain is longer: the bound holds on what is sent.
        if normalised.len() > Self::MAX_CHARS {
            return Err(FieldError::new(Msg::TooLong {
                max: Self::MAX_CHARS,
            }));
        }
        // Both checks: the HTML5 rule readers' browsers apply, and the address syntax the
        // mailer will need, so an accepted address can always be written to.
        if !normalised.validate_email() || !domain.contains('.') {
            return Err(invalid());
        }
        lettre::Address::from_str(&normalised)
            .map(ReaderEmail)
            .map_err(|_| invalid())
    }

    pub fn as_str(&self) -> &str {
        self.0.as_ref()
    }

    /// The address, as the mailer takes it.
    pub fn address(&self) -> &lettre::Address {
        &self.0
    }

    /// The address with its local part lower-cased too: how an account or a limit knows one
    /// reader or one staff member whatever the case they type.
    pub fn folded(&self) -> String {
        self.as_str().to_ascii_lowercase()
    }

    /// The domain, in its ASCII form.
    pub fn domain(&self) -> &str {
        self.0.domain()
    }

    /// The mailbox the address delivers to, as the limits count readers: folded, with a plus
    /// tag dropped (`ana+1@` is `ana@`), and dots dropped where the provider ignores them.
    pub fn mailbox(&self) -> String {
        let folded = self.folded();
        let Some((local, domain)) = folded.rsplit_once('@') else {
            return folded;
        };
        let local = local.split('+').next().unwrap_or(local);
        let domain = match domain {
            "googlemail.com" => "gmail.com",
            other => other,
        };
        if DOTLESS_MAILBOXES.contains(&domain) {
            format!("{}@{domain}", local.replace('.', ""))
        } else {
            format!("{local}@{domain}")
        }
    }
}

/// Providers that deliver `a.na@` and `ana@` to one mailbox. A short list on purpose: folding
/// dots elsewhere would merge two real readers of a provider that tells them apart.
const DOTLESS_MAILBOXES: &[&str] = &["gmail.com"];

/// A phone number as the reader wrote it: digits and the usual separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub const MAX_CHARS: usize = 40;

    pub fn parse(raw: &str) -> Result<Phone, FieldError> {
        let s = raw.trim();
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(Msg::TooLong {
                max: Self::MAX_CHARS,
            }));
        }
        let allowed = |c: char| c.is_ascii_digit() || " +-().".contains(c);
        let digits = s.chars().filter(char::is_ascii_digit).count();
        if !s.chars().all(allowed) || !(4..=20).contains(&digits) {
            return Err(FieldError::new(Msg::InvalidPhone));
        }
        Ok(Phone(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The article page the form was posted from: an absolute http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleUrl(String);

impl ArticleUrl {
    pub const MAX_CHARS: usize = 2_000;

    pub fn parse(raw: &str) -> Result<ArticleUrl, FieldError> {
        let s = raw.trim();
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(Msg::TooLong {
                max: Self::MAX_CHARS,
            }));
        }
        if s.chars().any(is_forbidden_in_line) {
            return Err(FieldError::new(Msg::InvalidUrl));
        }
        // An article's address is published in the corrections' Atom feed.
        super::xml::check(s)?;
        match url::Url::parse(s) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
                Ok(ArticleUrl(s.to_owned()))
            }
            _ => Err(FieldError::new(Msg::InvalidUrl)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub type ArticleTitle = OneLine;

/// Every field either form takes; no configurable field name may take one of these.
pub const FORM_FIELDS: &[&str] = &[
    "name",
    "email",
    "topic",
    "subject",
    "message",
    "phone",
    "article_url",
    "article_title",
    "article_published_at",
    "organisation",
    "consent",
    "marketing_opt_in",
    "locale",
    "consent_version",
];

/// The field that carries the form token (`GET /v1/forms/{form}/token`).
pub const TOKEN_FIELD: &str = "form_token";

/// Whether a text holds bidirectional embedding, override or isolate controls, which can make
/// it display in another order than it reads (a "Facture \u{202E}fdp.exe"-style subject): staff
/// are warned wherever such reader text is shown.
pub fn holds_bidi_controls(text: &str) -> bool {
    text.chars()
        .any(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_refuses_line_breaks_and_controls() {
        for bad in [
            "a\r\nBcc: x@y.z",
            "a\nb",
            "a\u{0}b",
            "a\u{2028}b",
            "a\tb",
            "a\u{7f}",
        ] {
            assert_eq!(
                OneLine::parse(bad, 200).unwrap_err().code,
                "line_break_not_allowed",
                "{bad:?}"
            );
        }
        assert_eq!(OneLine::parse("  Zoé  ", 200).unwrap().as_str(), "Zoé");
        assert_eq!(OneLine::parse("   ", 200).unwrap_err().code, "required");
        assert!(OneLine::parse(&"é".repeat(200), 200).is_ok());
        assert_eq!(
            OneLine::parse(&"é".repeat(201), 200).unwrap_err().code,
            "too_long"
        );
    }

    #[test]
    fn message_keeps_text_exactly_but_refuses_nul() {
        let text = "Bonjour,\r\n\tligne deux\n\u{202e}bidi";
        assert_eq!(MessageBody::parse(text).unwrap().as_str(), text);
        assert_eq!(
            MessageBody::parse("a\u{0}b").unwrap_err().code,
            "control_character"
        );
        assert_eq!(MessageBody::parse(" \n ").unwrap_err().code, "required");
        assert!(MessageBody::parse(&"x".repeat(10_000)).is_ok());
        assert_eq!(
            MessageBody::parse(&"x".repeat(10_001)).unwrap_err().code,
            "too_long"
        );
    }

    #[test]
    fn email_is_checked_and_normalised() {
        assert_eq!(
            ReaderEmail::parse(" Zoe.Martin@Example.FR ")
                .unwrap()
                .as_str(),
            "Zoe.Martin@example.fr"
        );
        for bad in [
            "zoe",
            "zoe@",
            "@example.fr",
            "zoe@example",
            "zoe@exa mple.fr",
            "zoe@example.fr\r\nBcc: x@y.z",
            "zoe\n@example.fr",
            "a b@example.fr",
        ] {
            assert_eq!(
                ReaderEmail::parse(bad).unwrap_err().code,
                "invalid_email",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn urls_must_be_absolute_http() {
        assert!(ArticleUrl::parse("https://journal.example/2026/11/article").is_ok());
        for bad in [
            "javascript:alert(1)",
            "ftp://x.example/",
            "/relative",
            "https://",
        ] {
            assert_eq!(
                ArticleUrl::parse(bad).unwrap_err().code,
                "invalid_url",
                "{bad}"
            );
        }
        let long = format!("https://x.example/{}", "a".repeat(2_000));
        assert_eq!(ArticleUrl::parse(&long).unwrap_err().code, "too_long");
    }

    #[test]
    fn phones_are_digits_and_separators() {
        assert!(Phone::parse("+33 (0)1 23-45.67.89").is_ok());
        assert_eq!(Phone::parse("call me").unwrap_err().code, "invalid_phone");
        assert_eq!(Phone::parse(&"1".repeat(41)).unwrap_err().code, "too_long");
    }

    #[test]
    fn a_mailbox_folds_case_plus_tags_and_the_dots_a_provider_ignores() {
        let m = |s: &str| ReaderEmail::parse(s).unwrap().mailbox();
        assert_eq!(m("Victim+1@Example.com"), "victim@example.com");
        assert_eq!(m("victim+2@example.com"), "victim@example.com");
        assert_eq!(m("v.i.c.t.i.m+x@googlemail.com"), "victim@gmail.com");
        assert_eq!(
            m("jean.dupont@journal.example"),
            "jean.dupont@journal.example"
        );
        assert_eq!(
            ReaderEmail::parse("a@b.example").unwrap().domain(),
            "b.example"
        );
    }
}
