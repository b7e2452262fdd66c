//! The notice staff get when a reader's answer lands on a submission: the new text (quotes
//! stripped), its attachments by name, and the console link. Every value is escaped in HTML.

use askama::Template;

use super::Rendered;
use crate::domain::i18n::{label, Label};
use crate::domain::Locale;

#[derive(Template)]
#[template(path = "mail/reader_reply.txt")]
struct NoticeText<'a> {
    heading: &'a str,
    body: &'a str,
    attachments: &'a [String],
    bypass: &'a str,
    console_label: &'a str,
    console_path: &'a str,
    colon: &'a str,
}

#[derive(Template)]
#[template(path = "mail/reader_reply.html")]
struct NoticeHtml<'a> {
    lang: &'a str,
    heading: &'a str,
    body: &'a str,
    attachments: &'a [String],
    bypass: &'a str,
    console_label: &'a str,
    console_path: &'a str,
    colon: &'a str,
}

/// What the reader wrote back, for the assignee or the queue's team. `subject` is the reader's,
/// already on one line.
pub fn reader_reply(
    reference: &str,
    subject: &str,
    body: &str,
    attachments: &[String],
    locale: Locale,
) -> Result<Rendered, askama::Error> {
    let heading = match locale {
        Locale::Fr => format!("Réponse du lecteur · {reference}"),
        Locale::En => format!("The reader answered · {reference}"),
    };
    let console_path = format!("/staff/submissions/{reference}");
    let colon = locale.colon();
    let bypass = label(Label::ThreadBypass, locale);
    let console_label = label(Label::ConsoleLink, locale);
    let text = NoticeText {
        heading: &heading,
        body,
        attachments,
        bypass,
        console_label,
        console_path: &console_path,
        colon,
    }
    .render()?;
    let html = NoticeHtml {
        lang: locale.as_str(),
        heading: &heading,
        body,
        attachments,
        bypass,
        console_label,
        console_path: &console_path,
        colon,
    }
    .render()?;
    let subject = if subject.is_empty() {
        format!("[{reference}] {heading}")
    } else {
        format!("[{reference}] {subject}")
    };
    Ok(Rendered {
        subject: subject.chars().take(250).collect(),
        text,
        html,
    })
}
