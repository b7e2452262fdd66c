//! E-mail: rendering, the outbox worker and the transports it hands messages to.

pub mod imap;
pub mod inbound;
mod invitation;
mod ledger;
mod notice;
mod render;
pub mod reply_notice;
pub mod reply_token;
mod transport;
mod worker;

pub use invitation::invitation;
pub use notice::{
    escalation, grounds_text, reply_outcome, when as time_for_reader, Escalation, EscalationFacts,
};
pub use render::{reader_ack, staff_reply, team_notification, with_optout, Facts, Rendered};
pub use transport::{Channel, SendFailure, SmtpTarget, Transport};
pub use worker::{teams, Teams, Worker, WorkerHandle};

use lettre::address::Envelope;
use lettre::message::header::ContentType;
use lettre::message::{header::ContentTransferEncoding, Mailbox, Mailboxes, MultiPart, SinglePart};
use lettre::Message;

use crate::db::outbox::OutboxJob;

/// A `Message-ID` in the sender's domain, fixed when the job is written so that every retry of
/// the job carries the same one.
pub fn new_message_id(from: &Mailbox) -> String {
    format!(
        "<{}@{}>",
        uuid::Uuid::now_v7().simple(),
        from.email.domain()
    )
}

/// Why a stored job cannot become a message: retrying cannot help.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("from address: {0}")]
    From(lettre::address::AddressError),
    #[error("recipients: {0}")]
    Recipients(lettre::address::AddressError),
    #[error("reply-to: {0}")]
    ReplyTo(lettre::address::AddressError),
    #[error("message: {0}")]
    Message(#[from] lettre::error::Error),
}

/// Turns a stored job into the envelope and the bytes to hand to the transport.
pub fn build_message(job: &OutboxJob) -> Result<(Envelope, Vec<u8>), BuildError> {
    let from: Mailbox = job.from_addr.parse().map_err(BuildError::From)?;
    let to: Mailboxes = job.recipients.parse().map_err(BuildError::Recipients)?;
    let mut builder = Message::builder()
        .from(from)
        .raw_header(subject_header(&job.subject))
        .message_id(Some(job.message_id.clone()))
        .date_now();
    for mailbox in to {
        builder = builder.to(mailbox);
    }
    if let Some(reply_to) = &job.reply_to {
        let reply_to: Mailbox = reply_to.parse().map_err(BuildError::ReplyTo)?;
        builder = builder.reply_to(reply_to);
    }
    if let Some(url) = &job.list_unsubscribe {
        // The one-click opt-out of a commercial e-mail (RFC 2369, RFC 8058): a POST to the URL.
        use lettre::message::header::{HeaderName, HeaderValue};
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
    }
    if job.purpose == crate::domain::MailPurpose::ReaderAck {
        // An automatic response (RFC 3834), so that the reader's own responders stay quiet.
        builder = builder.raw_header(lettre::message::header::HeaderValue::new(
            lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-replied".to_owned(),
        ));
    }
    if let Some(parent) = &job.in_reply_to {
        builder = builder
            .in_reply_to(parent.clone())
            .references(parent.clone());
    }
    let part = |ct: ContentType, body: &str| {
        SinglePart::builder()
            .header(ct)
            .header(ContentTransferEncoding::QuotedPrintable)
            .body(body.to_owned())
    };
    let message = builder.multipart(
        MultiPart::alternative()
            .singlepart(part(ContentType::TEXT_PLAIN, &job.body_text))
            .singlepart(part(ContentType::TEXT_HTML, &job.body_html)),
    )?;
    Ok((message.envelope().clone(), message.formatted()))
}

/// The `Subject` header. lettre writes plain ASCII words as they are, and a word shaped like an
/// RFC 2047 encoded word (`=?UTF-8?Q?=0A?=`) would then be decoded by the reader's mail client
/// into whatever it encodes, a line break included; and it encodes non-ASCII words apart, so
/// that decoders drop the spaces between them ("Élections  à Lyon" reads "Électionsà Lyon").
/// Runs of spaces may also be lost where lettre folds a long line. Any subject but plain ASCII
/// with single spaces is therefore written entirely as encoded words of our own, which read
/// back exactly as written.
fn subject_header(subject: &str) -> lettre::message::header::HeaderValue {
    use base64::Engine;
    use lettre::message::header::{HeaderName, HeaderValue};
    let name = HeaderName::new_from_ascii_str("Subject");
    let plain = subject.is_ascii()
        && !subject.contains("=?")
        && !subject.contains("  ")
        && !subject.contains('\t')
        && subject.trim() == subject;
    if plain {
        return HeaderValue::new(name, subject.to_owned());
    }
    // 39 bytes make 52 base64 characters: each word is 64, each folded line under 78.
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in subject.chars() {
        if chunk.len() + c.len_utf8() > 39 {
            words.push(std::mem::take(&mut chunk));
        }
        chunk.push(c);
    }
    words.push(chunk);
    let encoded = words
        .iter()
        .map(|w| {
            format!(
                "=?utf-8?b?{}?=",
                base64::engine::general_purpose::STANDARD.encode(w.as_bytes())
            )
        })
        .collect::<Vec<_>>()
        .join("\r\n ");
    HeaderValue::dangerous_new_pre_encoded(name, subject.to_owned(), encoded)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_subject_shaped_like_encoded_words_reads_back_as_written() {
        for subject in [
            "=?UTF-8?Q?=0A?=",
            "Re: =?UTF-8?Q?=0D=0ABcc:_x@example.org?= et la suite, assez longue pour être pliée",
            "Plain subject",
            "Élections  à Lyon : « suite »",
            "Re: [7777-7777] exe                                                e.=om",
            " spaced\tout ",
        ] {
            let header = super::subject_header(subject);
            let mut raw = String::new();
            let mut headers = lettre::message::header::Headers::new();
            headers.insert_raw(header);
            raw.push_str(&headers.to_string());
            raw.push_str("\r\n");
            let (parsed, _) = mailparse::parse_headers(raw.as_bytes()).unwrap();
            assert_eq!(parsed[0].get_value(), subject, "{raw}");
            assert!(raw.lines().all(|l| l.len() <= 78), "{raw}");
        }
    }
}
