//! A reader's submission: the raw fields as posted, and the checked value built from them.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use super::{
    ArticleUrl, FieldError, FormKind, Locale, MessageBody, Msg, OneLine, Phone, ReaderEmail, Topic,
};

/// Bounds of the one-line fields, in characters.
pub const NAME_MAX: usize = 200;
pub const SUBJECT_MAX: usize = 200;
pub const ORGANISATION_MAX: usize = 200;
pub const ARTICLE_TITLE_MAX: usize = 300;

/// The "contact the newsroom" form, as posted (JSON or an HTML form).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNewsroom {
    pub name: Option<String>,
    pub email: Option<String>,
    pub topic: Option<String>,
    pub subject: Option<String>,
    pub message: Option<String>,
    pub phone: Option<String>,
    pub article_url: Option<String>,
    pub article_title: Option<String>,
    /// When the article was published, `YYYY-MM-DD` (the site fills it in).
    pub article_published_at: Option<String>,
    #[serde(default, deserialize_with = "checkbox")]
    pub consent: Option<bool>,
    pub locale: Option<String>,
    /// The consent text's version the page showed; the current one when absent.
    pub consent_version: Option<String>,
}

/// The "contact sales" form, as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSales {
    pub name: Option<String>,
    pub email: Option<String>,
    pub organisation: Option<String>,
    pub topic: Option<String>,
    pub message: Option<String>,
    pub phone: Option<String>,
    pub article_url: Option<String>,
    #[serde(default, deserialize_with = "checkbox")]
    pub consent: Option<bool>,
    #[serde(default, deserialize_with = "checkbox")]
    pub marketing_opt_in: Option<bool>,
    pub locale: Option<String>,
    /// The consent text's version the page showed; the current one when absent.
    pub consent_version: Option<String>,
}

/// A checkbox: JSON `true`/`false`, or an HTML form's "on", "true", "1" (absent means false).
fn checkbox<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bool(bool),
        Text(String),
    }
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Bool(b)) => Ok(Some(b)),
        Some(Raw::Text(t)) => checkbox_value(&t).map(Some).ok_or_else(|| {
            serde::de::Error::custom("a checkbox is true/false, on/off, yes/no, oui/non or 1/0")
        }),
    }
}

/// What an HTML form's box may send when ticked, and when not, in any case and with white space
/// around; JSON may send these too, or `true`/`false` (and `null` for an optional box).
pub const CHECKED: &[&str] = &["on", "true", "1", "yes", "oui"];
pub const UNCHECKED: &[&str] = &["off", "false", "0", "no", "non", ""];

/// A checkbox's text value, if it is one a box can have.
pub fn checkbox_value(text: &str) -> Option<bool> {
    let text = text.trim();
    let is = |list: &[&str]| list.iter().any(|v| v.eq_ignore_ascii_case(text));
    if is(CHECKED) {
        Some(true)
    } else if is(UNCHECKED) {
        Some(false)
    } else {
        None
    }
}

/// Every field's problems at once, keyed by field name.
pub type FieldErrors = BTreeMap<&'static str, Vec<FieldError>>;

/// A submission whose every field has been checked.
#[derive(Debug, Clone)]
pub struct NewSubmission {
    pub form: FormKind,
    pub topic: Topic,
    pub locale: Locale,
    pub name: OneLine,
    pub email: ReaderEmail,
    pub phone: Option<Phone>,
    pub organisation: Option<OneLine>,
    pub subject: Option<OneLine>,
    pub message: MessageBody,
    pub article_url: Option<ArticleUrl>,
    pub article_title: Option<OneLine>,
    pub article_published_at: Option<chrono::NaiveDate>,
    pub marketing_opt_in: bool,
    /// The consent version the post names, as sent (checked against the configuration by the
    /// desk); `None` for the current one.
    pub consent_version: Option<String>,
}

/// Collects per-field results so that every problem is reported, not only the first.
struct Checker {
    errors: FieldErrors,
}

impl Checker {
    fn required<T>(
        &mut self,
        field: &'static str,
        raw: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, FieldError>,
    ) -> Option<T> {
        match raw {
            None => {
                self.fail(field, FieldError::new(Msg::Required));
                None
            }
            Some(s) => self.check(field, parse(s)),
        }
    }

    /// An optional field: absent or blank means none. Its bound holds whatever it holds, so
    /// that a field is either within its length or refused, blank or not.
    fn optional<T>(
        &mut self,
        field: &'static str,
        raw: Option<&str>,
        max_chars: usize,
        parse: impl FnOnce(&str) -> Result<T, FieldError>,
    ) -> Option<T> {
        match raw {
            Some(s) if s.chars().count() > max_chars => {
                self.fail(field, FieldError::new(Msg::TooLong { max: max_chars }));
                None
            }
            Some(s) if !s.trim().is_empty() => self.check(field, parse(s)),
            _ => None,
        }
    }

    /// The optional phone and article address both forms take.
    fn contact_extras(
        &mut self,
        phone: Option<&str>,
        article_url: Option<&str>,
    ) -> (Option<Phone>, Option<ArticleUrl>) {
        (
            self.optional("phone", phone, Phone::MAX_CHARS, Phone::parse),
            self.optional(
                "article_url",
                article_url,
                ArticleUrl::MAX_CHARS,
                ArticleUrl::parse,
            ),
        )
    }

    fn check<T>(&mut self, field: &'static str, r: Result<T, FieldError>) -> Option<T> {
        r.map_err(|e| self.fail(field, e)).ok()
    }

    fn fail(&mut self, field: &'static str, e: FieldError) {
        self.errors.entry(field).or_default().push(e);
    }
}

fn locale_of(raw: Option<&str>, fallback: Locale, checker: &mut Checker) -> Locale {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => fallback,
        Some(s) => checker
            .check(
                "locale",
                Locale::parse(s).map_err(|_| FieldError::new(Msg::InvalidChoice)),
            )
            .unwrap_or(fallback),
    }
}

fn topic_of(form: FormKind, raw: Option<&str>, checker: &mut Checker) -> Option<Topic> {
    checker.required("topic", raw, |s| {
        Topic::parse_for(form, s.trim()).map_err(|_| FieldError::new(Msg::InvalidChoice))
    })
}

fn consent_of(raw: Option<bool>, checker: &mut Checker) {
    if raw != Some(true) {
        checker.fail("consent", FieldError::new(Msg::ConsentRequired));
    }
}

type Invalid = (Locale, FieldErrors);

impl NewSubmission {
    /// Checks the newsroom form. The error carries the locale to answer in.
    pub fn from_newsroom(raw: RawNewsroom, fallback: Locale) -> Result<NewSubmission, Invalid> {
        let mut c = Checker {
            errors: FieldErrors::new(),
        };
        let locale = locale_of(raw.locale.as_deref(), fallback, &mut c);
        let name = c.required("name", raw.name.as_deref(), |s| OneLine::parse(s, NAME_MAX));
        let email = c.required("email", raw.email.as_deref(), ReaderEmail::parse);
        let topic = topic_of(FormKind::Newsroom, raw.topic.as_deref(), &mut c);
        let subject = c.optional("subject", raw.subject.as_deref(), SUBJECT_MAX, |s| {
            OneLine::parse(s, SUBJECT_MAX)
        });
        let message = c.required("message", raw.message.as_deref(), MessageBody::parse);
        let (phone, article_url) =
            c.contact_extras(raw.phone.as_deref(), raw.article_url.as_deref());
        let article_title = c.optional(
            "article_title",
            raw.article_title.as_deref(),
            ARTICLE_TITLE_MAX,
            |s| OneLine::parse(s, ARTICLE_TITLE_MAX),
        );
        let article_published_at = c.optional(
            "article_published_at",
            raw.article_published_at.as_deref(),
            10,
            super::duties::publication_date,
        );
        consent_of(raw.consent, &mut c);
        match (name, email, topic, message) {
            (Some(name), Some(email), Some(topic), Some(message)) if c.errors.is_empty() => {
                Ok(NewSubmission {
                    form: FormKind::Newsroom,
                    topic,
                    locale,
                    name,
                    email,
                    phone,
                    organisation: None,
                    subject,
                    message,
                    article_url,
                    article_title,
                    article_published_at,
                    marketing_opt_in: false,
                    consent_version: raw.consent_version,
                })
            }
            _ => Err((locale, c.errors)),
        }
    }

    /// Checks the sales form.
    pub fn from_sales(raw: RawSales, fallback: Locale) -> Result<NewSubmission, Invalid> {
        let mut c = Checker {
            errors: FieldErrors::new(),
        };
        let locale = locale_of(raw.locale.as_deref(), fallback, &mut c);
        let name = c.required("name", raw.name.as_deref(), |s| OneLine::parse(s, NAME_MAX));
        let email = c.required("email", raw.email.as_deref(), ReaderEmail::parse);
        let organisation = c.required("organisation", raw.organisation.as_deref(), |s| {
            OneLine::parse(s, ORGANISATION_MAX)
        });
        let topic = topic_of(FormKind::Sales, raw.topic.as_deref(), &mut c);
        let message = c.required("message", raw.message.as_deref(), MessageBody::parse);
        let (phone, article_url) =
            c.contact_extras(raw.phone.as_deref(), raw.article_url.as_deref());
        consent_of(raw.consent, &mut c);
        match (name, email, organisation, topic, message) {
            (Some(name), Some(email), Some(organisation), Some(topic), Some(message))
                if c.errors.is_empty() =>
            {
                Ok(NewSubmission {
                    form: FormKind::Sales,
                    topic,
                    locale,
                    name,
                    email,
                    phone,
                    organisation: Some(organisation),
                    subject: None,
                    message,
                    article_url,
                    article_title: None,
                    article_published_at: None,
                    marketing_opt_in: raw.marketing_opt_in.unwrap_or(false),
                    consent_version: raw.consent_version,
                })
            }
            _ => Err((locale, c.errors)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_reported_at_once() {
        let raw = RawNewsroom {
            name: Some("a\nb".into()),
            email: Some("nope".into()),
            topic: Some("advertising".into()),
            message: None,
            consent: Some(false),
            phone: Some("x".into()),
            article_url: Some("ftp://x".into()),
            locale: Some("en".into()),
            ..RawNewsroom::default()
        };
        let (locale, errors) = NewSubmission::from_newsroom(raw, Locale::Fr).unwrap_err();
        assert_eq!(locale, Locale::En);
        let fields: Vec<_> = errors.keys().copied().collect();
        assert_eq!(
            fields,
            [
                "article_url",
                "consent",
                "email",
                "message",
                "name",
                "phone",
                "topic"
            ]
        );
        assert_eq!(errors["topic"][0].code, "invalid_choice");
    }

    #[test]
    fn checkbox_accepts_html_form_values() {
        let raw: RawSales = serde_urlencoded::from_str("consent=on&marketing_opt_in=1").unwrap();
        assert_eq!(
            (raw.consent, raw.marketing_opt_in),
            (Some(true), Some(true))
        );
        let raw: RawSales = serde_json::from_str(r#"{"consent":true}"#).unwrap();
        assert_eq!(raw.consent, Some(true));
        assert!(serde_urlencoded::from_str::<RawSales>("consent=maybe").is_err());
        let raw: RawSales = serde_urlencoded::from_str("consent=Oui&marketing_opt_in=NON").unwrap();
        assert_eq!(
            (raw.consent, raw.marketing_opt_in),
            (Some(true), Some(false))
        );
        assert!(serde_json::from_str::<RawSales>(r#"{"subject":"x"}"#).is_err());
    }
}
