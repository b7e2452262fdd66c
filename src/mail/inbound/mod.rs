//! Reading a message that came in: its addresses, threading headers, the signs of automatic
//! mail, its text (HTML turned into text, quotes stripped), its attachments, and the delivery
//! report it may be. Parsing never fails on a message with headers: what cannot be read is left
//! empty, and the raw message is kept whole by the caller.

mod html;
pub mod quotes;
mod report;

use std::time::{Duration, Instant};

use mailparse::{MailHeaderMap, ParsedMail};
use sha2::{Digest, Sha256};

pub use report::{DeliveryReport, RecipientStatus};

/// A mailbox read from a header: its display name (if any) and address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    pub name: Option<String>,
    pub address: String,
}

/// An attachment as listed on the thread (its bytes stay in the raw message).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Attachment {
    pub name: String,
    #[serde(rename = "type")]
    pub mime: String,
    pub size: usize,
}

/// What Courrier reads of an inbound message.
#[derive(Debug, Clone, Default)]
pub struct Inbound {
    /// `<id@host>`, as written in our own `Message-ID`s.
    pub message_id: Option<String>,
    pub from: Option<Sender>,
    /// `To` and `Cc`, as shown on the thread.
    pub to: Vec<String>,
    /// Every address the message was delivered to: `To`, `Cc`, `Delivered-To`, `X-Original-To`.
    pub recipients: Vec<String>,
    pub subject: String,
    /// `In-Reply-To`, then `References`, newest first.
    pub parents: Vec<String>,
    pub content_language: Option<String>,
    pub auto_submitted: Option<String>,
    pub precedence: Option<String>,
    pub list_id: bool,
    pub return_path_null: bool,
    /// The whole text (HTML-only mail turned into text).
    pub text: String,
    pub attachments: Vec<Attachment>,
    pub report: Option<DeliveryReport>,
}

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("not an e-mail message: {0}")]
    NotMail(String),
}

/// The key of a message by its bytes alone: a digest of the message (its mbox line left out).
pub fn digest_key(raw: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(without_mbox_line(raw)))
}

/// The body of a raw message (after the first empty line), without the white space at its end.
fn body_of(raw: &[u8]) -> &[u8] {
    let start = raw
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|i| i + 2)
        .into_iter()
        .chain(raw.windows(3).position(|w| w == b"\n\r\n").map(|i| i + 3))
        .min()
        .unwrap_or(raw.len());
    let body = &raw[start..];
    let end = body
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &body[..end]
}

/// The mbox separator line (`From sender date`) some MTAs' pipes write before the message
/// (Exim's `message_prefix`): not part of the message.
fn without_mbox_line(raw: &[u8]) -> &[u8] {
    if !raw.starts_with(b"From ") {
        return raw;
    }
    raw.iter()
        .position(|b| *b == b'\n')
        .map_or(&raw[raw.len()..], |end| &raw[end + 1..])
}

/// Whether the text opens with a header field: a name of printable ASCII but the colon
/// (RFC 5322 `ftext`), then the colon.
fn opens_with_field(raw: &[u8]) -> bool {
    let name = raw
        .iter()
        .take_while(|b| matches!(b, 33..=57 | 59..=126))
        .count();
    name > 0 && raw.get(name) == Some(&b':')
}

/// The text stored for an HTML-only message whose conversion ran out of time.
pub const NOT_CONVERTED: &str =
    "[HTML not converted to text: it took too long. The raw message is kept as received.]";

/// Reads a raw RFC 5322 message.
pub fn parse(raw: &[u8]) -> Result<Inbound, ParseError> {
    parse_within(raw, None)
}

/// Reads a raw RFC 5322 message, giving up on turning its HTML into text once `html_budget`
/// has passed since it began (the text is then [`NOT_CONVERTED`]).
pub fn parse_within(raw: &[u8], html_budget: Option<Duration>) -> Result<Inbound, ParseError> {
    let deadline = html_budget.map(|b| Instant::now() + b);
    let raw = without_mbox_line(raw);
    // Text that does not open with a header field is not a message (a message without `From`
    // still is: it is stored, as from a null sender).
    if !opens_with_field(raw) {
        return Err(ParseError::NotMail("no header".into()));
    }
    let mail = mailparse::parse_mail(raw).map_err(|e| ParseError::NotMail(e.to_string()))?;
    if mail.headers.is_empty() {
        return Err(ParseError::NotMail("no header".into()));
    }
    let h = &mail.headers;
    let header = |name: &str| h.get_first_value(name).map(|v| one_line(&v));
    let mut inbound = Inbound {
        message_id: header("Message-ID").and_then(|v| ids(&v).into_iter().next()),
        from: h
            .get_first_header("From")
            .and_then(|f| mailboxes(f).into_iter().next()),
        subject: header("Subject").unwrap_or_default(),
        content_language: header("Content-Language"),
        auto_submitted: header("Auto-Submitted").map(|v| v.to_ascii_lowercase()),
        precedence: header("Precedence").map(|v| v.trim().to_ascii_lowercase()),
        list_id: h.get_first_header("List-Id").is_some(),
        return_path_null: header("Return-Path").is_some_and(|v| v.trim() == "<>"),
        ..Inbound::default()
    };
    for name in ["To", "Cc"] {
        for header in h.get_all_headers(name) {
            for mailbox in mailboxes(header) {
                inbound.to.push(mailbox.address.clone());
                inbound.recipients.push(mailbox.address);
            }
        }
    }
    for name in ["Delivered-To", "X-Original-To"] {
        for value in h.get_all_values(name) {
            let value = value.trim().trim_matches(['<', '>']).to_owned();
            if value.contains('@') {
                inbound.recipients.push(value);
            }
        }
    }
    for name in ["In-Reply-To", "References"] {
        if let Some(v) = h.get_first_value(name) {
            let mut found = ids(&v);
            if name == "References" {
                found.reverse();
            }
            inbound.parents.extend(found);
        }
    }
    inbound.report = report::read(&mail);
    let mut text = None;
    let mut html = None;
    walk(&mail, &mut text, &mut html, &mut inbound.attachments);
    inbound.text = text
        .or_else(|| html.map(|h| html::to_text_until(&h, deadline).unwrap_or(NOT_CONVERTED.into())))
        .unwrap_or_default()
        .replace("\r\n", "\n");
    inbound.scrub();
    Ok(inbound)
}

/// What takes the place of a NUL in any text read from a message.
pub const NUL_REPLACEMENT: char = '\u{fffd}';

/// The text with each NUL replaced: PostgreSQL refuses NUL in a text column, and a body that
/// decodes to one (`=00` in quoted-printable, or base64) is no reason to lose the message. The
/// raw message keeps its bytes.
fn without_nul(s: &mut String) {
    if s.contains('\0') {
        *s = s.replace('\0', &NUL_REPLACEMENT.to_string());
    }
}

impl Inbound {
    /// Every text read from the message, without NUL.
    fn scrub(&mut self) {
        let Inbound {
            message_id,
            from,
            to,
            recipients,
            subject,
            parents,
            content_language,
            auto_submitted,
            precedence,
            list_id: _,
            return_path_null: _,
            text,
            attachments,
            report,
        } = self;
        let texts = message_id
            .iter_mut()
            .chain(
                from.iter_mut()
                    .flat_map(|f| f.name.iter_mut().chain([&mut f.address])),
            )
            .chain(to.iter_mut())
            .chain(recipients.iter_mut())
            .chain([subject, text])
            .chain(parents.iter_mut())
            .chain(content_language.iter_mut())
            .chain(auto_submitted.iter_mut())
            .chain(precedence.iter_mut())
            .chain(
                attachments
                    .iter_mut()
                    .flat_map(|a| [&mut a.name, &mut a.mime]),
            )
            .chain(report.iter_mut().flat_map(|r| {
                r.original_message_id
                    .iter_mut()
                    .chain(r.recipients.iter_mut().flat_map(|s| {
                        s.recipient
                            .iter_mut()
                            .chain([&mut s.action, &mut s.status])
                            .chain(s.diagnostic.iter_mut())
                    }))
            }));
        texts.for_each(without_nul);
    }

    /// What a second delivery of the same message is recognised by: a digest of its
    /// Message-ID with its sender, recipients, subject and body (line ends aside), so that a
    /// message planted under another's Message-ID does not make the genuine one a "duplicate";
    /// without a Message-ID, a digest of the whole message. Trace headers an MTA adds on the way
    /// (`Received`, `Delivered-To`, the mbox line) are not in it: a second delivery by another
    /// way in is still recognised.
    pub fn dedupe_key(&self, raw: &[u8]) -> String {
        let Some(id) = &self.message_id else {
            return digest_key(raw);
        };
        let sender = self
            .from
            .as_ref()
            .map(|f| f.address.to_ascii_lowercase())
            .unwrap_or_default();
        let mut digest = Sha256::new();
        for field in [id.as_str(), &sender, &self.to.join(","), &self.subject] {
            digest.update(field.len().to_le_bytes());
            digest.update(field.as_bytes());
        }
        for piece in body_of(without_mbox_line(raw)).split(|b| *b == b'\r') {
            digest.update(piece);
        }
        format!("mid:{:x}", digest.finalize())
    }

    /// Why this message is automatic, if it is: then it is never acknowledged nor notified.
    pub fn automatic(&self) -> Option<&'static str> {
        if self.auto_submitted.as_deref().is_some_and(|v| v != "no") {
            return Some(if self.out_of_office() {
                "out_of_office"
            } else {
                "auto_submitted"
            });
        }
        if matches!(self.precedence.as_deref(), Some("bulk" | "list" | "junk")) {
            return Some("bulk");
        }
        if self.list_id {
            return Some("mailing_list");
        }
        let sender = self
            .from
            .as_ref()
            .map(|f| f.address.to_ascii_lowercase())
            .unwrap_or_default();
        let local = sender.split('@').next().unwrap_or_default();
        if self.return_path_null
            || sender.is_empty()
            || local == "mailer-daemon"
            || local == "postmaster"
        {
            return Some("null_sender");
        }
        if self.out_of_office() {
            return Some("out_of_office");
        }
        None
    }

    /// An absence notice: by its headers, or by the subjects the usual clients give it.
    pub fn out_of_office(&self) -> bool {
        let subject = self.subject.to_lowercase();
        const SUBJECTS: [&str; 7] = [
            "out of office",
            "automatic reply",
            "auto:",
            "autoreply",
            "réponse automatique",
            "absence",
            "abwesenheit",
        ];
        self.auto_submitted.as_deref() == Some("auto-replied")
            || SUBJECTS.iter().any(|s| subject.starts_with(s))
    }
}

/// Collects the first plain-text and HTML bodies (outside attachments) and lists the
/// attachments.
fn walk(
    part: &ParsedMail<'_>,
    text: &mut Option<String>,
    html: &mut Option<String>,
    attachments: &mut Vec<Attachment>,
) {
    let mime = part.ctype.mimetype.to_ascii_lowercase();
    if mime.starts_with("multipart/") {
        for sub in &part.subparts {
            walk(sub, text, html, attachments);
        }
        return;
    }
    let disposition = part.get_content_disposition();
    let name = disposition
        .params
        .get("filename")
        .or_else(|| part.ctype.params.get("name"))
        .cloned();
    let attached = disposition.disposition == mailparse::DispositionType::Attachment;
    if !attached && name.is_none() && mime == "text/plain" && text.is_none() {
        *text = part.get_body().ok();
    } else if !attached && name.is_none() && mime == "text/html" && html.is_none() {
        *html = part.get_body().ok();
    } else if attached || name.is_some() || !mime.starts_with("text/") {
        if mime.starts_with("message/delivery-status") || mime == "text/rfc822-headers" {
            return;
        }
        attachments.push(Attachment {
            name: name.map(|n| one_line(&n)).unwrap_or_default(),
            size: part.get_body_raw().map(|b| b.len()).unwrap_or(0),
            mime,
        });
    }
}

/// The mailboxes of an address header, groups flattened; unreadable ones skipped.
fn mailboxes(header: &mailparse::MailHeader<'_>) -> Vec<Sender> {
    let Ok(list) = mailparse::addrparse_header(header) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for addr in list.iter() {
        match addr {
            mailparse::MailAddr::Single(s) => out.push(sender(s)),
            mailparse::MailAddr::Group(g) => out.extend(g.addrs.iter().map(sender)),
        }
    }
    out.retain(|s| s.address.contains('@'));
    out
}

fn sender(s: &mailparse::SingleInfo) -> Sender {
    Sender {
        name: s
            .display_name
            .as_deref()
            .map(one_line)
            .filter(|n| !n.is_empty()),
        address: one_line(&s.addr),
    }
}

/// The `<…>` message ids in a header value.
pub fn ids(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find('<') {
        let Some(len) = rest[start..].find('>') else {
            break;
        };
        let id = &rest[start..=start + len];
        if id.len() > 2 && !id.contains(char::is_whitespace) {
            out.push(id.to_owned());
        }
        rest = &rest[start + len + 1..];
    }
    if out.is_empty() {
        let bare = value.trim();
        if !bare.is_empty() && bare.contains('@') && !bare.contains(char::is_whitespace) {
            out.push(format!("<{bare}>"));
        }
    }
    out
}

/// A header's value on one line: no control characters (a CR or LF in a decoded subject could
/// otherwise end up in a header we write).
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_delivery_has_the_same_key_and_a_planted_message_another() {
        let key = |raw: &str| parse(raw.as_bytes()).unwrap().dedupe_key(raw.as_bytes());
        let genuine = "From: Zoe <zoe@example.fr>\r\nTo: <r@journal.example>\r\n\
            Subject: Re: fuite\r\nMessage-ID: <a@x>\r\n\r\nLa suite.\r\n";
        let relayed = format!(
            "From zoe@example.fr Tue Dec  1 10:05:00 2026\nReceived: from mx by mx2\n\
             Delivered-To: r+tag@journal.example\n{}",
            genuine.replace("\r\n", "\n")
        );
        assert_eq!(key(genuine), key(&relayed));
        assert!(key(genuine).starts_with("mid:"));
        for planted in [
            genuine.replace("zoe@example.fr", "mallory@example.net"),
            genuine.replace("La suite.", "Autre chose."),
            genuine.replace("Re: fuite", "Re: autre"),
            genuine.replace("<r@journal.example>", "<s@journal.example>"),
        ] {
            assert_ne!(key(genuine), key(&planted), "{planted}");
        }
    }

    #[test]
    fn no_text_read_from_a_message_holds_a_nul() {
        let raw = b"From: =?UTF-8?Q?Z=00e?= <zoe@example.fr>\r\nTo: <a@example.org>\r\n\
            Subject: =?UTF-8?B?YQBi?=\r\nMessage-ID: <a@x>\r\nMIME-Version: 1.0\r\n\
            Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
            Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
            hello=00world\r\n--b\r\nContent-Type: application/pdf\r\n\
            Content-Disposition: attachment; filename*=UTF-8''a%00b.pdf\r\n\r\nx\r\n--b--\r\n";
        let m = parse(raw).unwrap();
        assert_eq!(m.text.trim(), "hello\u{fffd}world");
        assert_eq!(m.attachments.len(), 1);
        let all = format!("{m:?}");
        assert!(!all.contains('\0') && !all.contains("\\0"), "{all}");
        let mut html = b"From: a@example.org\r\nContent-Type: text/html\r\n\
            Content-Transfer-Encoding: base64\r\n\r\n"
            .to_vec();
        html.extend_from_slice(b"PHA+aGVsbG8AIHdvcmxkPC9wPg==\r\n");
        assert_eq!(parse(&html).unwrap().text, "hello\u{fffd} world");
    }

    #[test]
    fn text_that_does_not_open_with_a_header_field_is_no_message() {
        for raw in [
            &b""[..],
            b"just words\r\n",
            b"just words: with a colon further on\r\n",
            b" From: x@example.org\r\n\r\nindented\r\n",
            b"[true, {\"a\": false}]",
            b"From x@example.org Tue Dec  1 10:00:00 2026\n",
        ] {
            assert!(parse(raw).is_err(), "{:?}", String::from_utf8_lossy(raw));
        }
    }

    #[test]
    fn a_message_opens_with_a_header_field_or_the_mbox_line_before_it() {
        let message =
            b"From: Zoe <zoe@example.fr>\r\nSubject: Bonjour\r\nMessage-ID: <a@x>\r\n\r\nSalut\r\n";
        let plain = parse(message).unwrap();
        assert_eq!(plain.subject, "Bonjour");
        let mut piped = b"From zoe@example.fr Tue Dec  1 10:00:00 2026\n".to_vec();
        piped.extend_from_slice(message);
        let piped_parsed = parse(&piped).unwrap();
        assert_eq!(format!("{plain:?}"), format!("{piped_parsed:?}"));
        assert_eq!(
            piped_parsed.from.map(|f| f.address),
            Some("zoe@example.fr".to_owned())
        );
        // Without a Message-ID, the digest leaves the mbox line out: a delivery tried again
        // (another time in that line) is the same message.
        let bare = b"From: zoe@example.fr\r\n\r\nSalut\r\n";
        let mut again = b"From zoe@example.fr Tue Dec  1 10:05:00 2026\n".to_vec();
        again.extend_from_slice(bare);
        assert_eq!(
            parse(bare).unwrap().dedupe_key(bare),
            parse(&again).unwrap().dedupe_key(&again)
        );
    }
}
