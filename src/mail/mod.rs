//! E-mail: rendering, the outbox worker and the transports it hands messages to.

mod render;
mod transport;
mod worker;

pub use render::{reader_ack, staff_reply, team_notification, Rendered};
pub use transport::{Channel, SendFailure, SmtpTarget, Transport};
pub use worker::{redact_addresses, Worker, WorkerHandle};

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

/// Turns a stored job into the envelope and the bytes to hand to the transport.
pub fn build_message(job: &OutboxJob) -> Result<(Envelope, Vec<u8>), String> {
    let from: Mailbox = job
        .from_addr
        .parse()
        .map_err(|e| format!("from address: {e}"))?;
    let to: Mailboxes = job
        .recipients
        .parse()
        .map_err(|e| format!("recipients: {e}"))?;
    let mut builder = Message::builder()
        .from(from)
        .subject(job.subject.as_str())
        .message_id(Some(job.message_id.clone()))
        .date_now();
    for mailbox in to {
        builder = builder.to(mailbox);
    }
    if let Some(reply_to) = &job.reply_to {
        let reply_to: Mailbox = reply_to.parse().map_err(|e| format!("reply-to: {e}"))?;
        builder = builder.reply_to(reply_to);
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
    let message = builder
        .multipart(
            MultiPart::alternative()
                .singlepart(part(ContentType::TEXT_PLAIN, &job.body_text))
                .singlepart(part(ContentType::TEXT_HTML, &job.body_html)),
        )
        .map_err(|e| format!("message: {e}"))?;
    Ok((message.envelope().clone(), message.formatted()))
}
