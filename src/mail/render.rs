//! E-mail bodies from templates compiled into the binary. The HTML parts escape every value.

use askama::Template;

use crate::db::submissions::SubmissionRow;
use crate::domain::i18n::{label, topic_label, Label};
use crate::domain::{Locale, NewSubmission, Topic};

/// A message ready for the outbox.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What the team notification shows; the text and HTML templates render the same view.
struct TeamView<'a> {
    lang: &'a str,
    heading: &'a str,
    fields: &'a [(&'a str, String)],
    message_label: &'a str,
    message: &'a str,
    article_label: &'a str,
    article_url: Option<&'a str>,
    colon: &'a str,
    bypass: &'a str,
    console_label: &'a str,
    console_path: &'a str,
}

#[derive(Template)]
#[template(path = "mail/team_notification.txt")]
struct TeamText<'a> {
    v: &'a TeamView<'a>,
}

#[derive(Template)]
#[template(path = "mail/team_notification.html")]
struct TeamHtml<'a> {
    v: &'a TeamView<'a>,
}

/// What the reader's acknowledgement shows.
struct AckView<'a> {
    lang: &'a str,
    subject: &'a str,
    greeting: &'a str,
    body: &'a str,
    reference: &'a str,
    signoff: &'a str,
    site: &'a str,
    colon: &'a str,
}

#[derive(Template)]
#[template(path = "mail/reader_ack.txt")]
struct AckText<'a> {
    v: &'a AckView<'a>,
}

#[derive(Template)]
#[template(path = "mail/reader_ack.html")]
struct AckHtml<'a> {
    v: &'a AckView<'a>,
}

/// What the team notification shows of a submission: a post just received, or the stored row
/// of one released from quarantine (rendered from its stored text, not parsed again).
pub struct Facts<'a> {
    pub topic: Topic,
    pub name: &'a str,
    pub email: &'a str,
    pub phone: Option<&'a str>,
    pub organisation: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub message: &'a str,
    pub article_url: Option<&'a str>,
    pub article_title: Option<&'a str>,
    pub marketing_opt_in: bool,
}

impl<'a> From<&'a NewSubmission> for Facts<'a> {
    fn from(s: &'a NewSubmission) -> Self {
        Facts {
            topic: s.topic,
            name: s.name.as_str(),
            email: s.email.as_str(),
            phone: s.phone.as_ref().map(|p| p.as_str()),
            organisation: s.organisation.as_ref().map(|o| o.as_str()),
            subject: s.subject.as_ref().map(|o| o.as_str()),
            message: s.message.as_str(),
            article_url: s.article_url.as_ref().map(|u| u.as_str()),
            article_title: s.article_title.as_ref().map(|o| o.as_str()),
            marketing_opt_in: s.marketing_opt_in,
        }
    }
}

impl<'a> From<&'a SubmissionRow> for Facts<'a> {
    fn from(s: &'a SubmissionRow) -> Self {
        Facts {
            topic: s.topic,
            name: &s.name,
            email: &s.email,
            phone: s.phone.as_deref(),
            organisation: s.organisation.as_deref(),
            subject: s.subject.as_deref(),
            message: &s.message,
            article_url: s.article_url.as_deref(),
            article_title: s.article_title.as_deref(),
            marketing_opt_in: s.marketing_opt_in,
        }
    }
}

/// The queue's notification: every field, the message and the article link.
pub fn team_notification(
    s: &Facts<'_>,
    reference: &str,
    queue_label: &str,
    locale: Locale,
) -> Result<Rendered, askama::Error> {
    let l = |x| label(x, locale);
    let topic = topic_label(s.topic, locale);
    let summary = s.subject.unwrap_or(s.name);
    let subject = format!("[{reference}] {topic} — {summary}");
    let heading = format!("{queue_label} · {topic} · {reference}");
    let console_path = format!("/staff/submissions/{reference}");
    let mut fields: Vec<(&str, String)> = vec![
        (l(Label::Reference), reference.to_owned()),
        (l(Label::Topic), topic.to_owned()),
        (l(Label::Name), s.name.to_owned()),
        (l(Label::Email), s.email.to_owned()),
    ];
    let optional = [
        (Label::Phone, s.phone),
        (Label::Organisation, s.organisation),
        (Label::Subject, s.subject),
        (Label::ArticleTitle, s.article_title),
    ];
    fields.extend(
        optional
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (l(k), v.to_owned()))),
    );
    if s.marketing_opt_in {
        fields.push((l(Label::MarketingOptIn), "✓".to_owned()));
    }
    let view = TeamView {
        lang: locale.as_str(),
        heading: &heading,
        fields: &fields,
        message_label: l(Label::Message),
        message: s.message,
        article_label: l(Label::ArticleUrl),
        article_url: s.article_url,
        colon: locale.colon(),
        bypass: l(Label::ThreadBypass),
        console_label: l(Label::ConsoleLink),
        console_path: &console_path,
    };
    let text = TeamText { v: &view }.render()?;
    let html = TeamHtml { v: &view }.render()?;
    Ok(Rendered {
        subject,
        text,
        html,
    })
}

/// The reader's acknowledgement, in the reader's language. It repeats none of the message, so
/// the form cannot be used to send arbitrary text to a third party.
pub fn reader_ack(locale: Locale, reference: &str, site: &str) -> Result<Rendered, askama::Error> {
    let subject = format!("{} [{reference}]", label(Label::AckSubject, locale));
    let view = AckView {
        lang: locale.as_str(),
        subject: &subject,
        greeting: label(Label::AckGreeting, locale),
        body: label(Label::AckBody, locale),
        reference,
        signoff: label(Label::AckSignoff, locale),
        site,
        colon: locale.colon(),
    };
    let text = AckText { v: &view }.render()?;
    let html = AckHtml { v: &view }.render()?;
    Ok(Rendered {
        subject,
        text,
        html,
    })
}

#[derive(Template)]
#[template(path = "mail/staff_reply.html")]
struct ReplyHtml<'a> {
    lang: &'a str,
    subject: &'a str,
    paragraphs: Vec<&'a str>,
}

/// A staff member's reply: the text as written, and an HTML part with every character escaped.
pub fn staff_reply(body: &str, subject: &str, locale: Locale) -> Result<Rendered, askama::Error> {
    let html = ReplyHtml {
        lang: locale.as_str(),
        subject,
        paragraphs: body.split("\n\n").collect(),
    }
    .render()?;
    Ok(Rendered {
        subject: subject.to_owned(),
        text: body.to_owned(),
        html,
    })
}

/// A commercial e-mail with its footer: the signed link that withdraws the marketing opt-in
/// (the same URL goes in its `List-Unsubscribe` header).
pub fn with_optout(mut rendered: Rendered, url: &str, locale: Locale) -> Rendered {
    let words = label(Label::OptOutFooter, locale);
    let colon = locale.colon();
    rendered
        .text
        .push_str(&format!("\n\n-- \n{words}{colon} {url}\n"));
    let url = escape_html(url);
    let link = format!(
        "<p style=\"font-size: small\">{}{colon} <a href=\"{url}\">{url}</a></p>\n",
        escape_html(words)
    );
    match rendered.html.rfind("</body>") {
        Some(at) => rendered.html.insert_str(at, &link),
        None => rendered.html.push_str(&link),
    }
    rendered
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
