//! Delivery status notifications (RFC 3464): `multipart/report; report-type=delivery-status`,
//! with a `message/delivery-status` part per recipient and the returned message (or its
//! headers), whose `Message-ID` names the e-mail that failed.

use mailparse::{MailHeaderMap, ParsedMail};

/// One recipient's fate, as the reporting MTA wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientStatus {
    pub recipient: Option<String>,
    /// `failed`, `delayed`, `delivered`, `relayed` or `expanded`.
    pub action: String,
    /// `5.1.1`: the class (2, 4 or 5), then subject and detail.
    pub status: String,
    pub diagnostic: Option<String>,
}

impl RecipientStatus {
    /// A permanent failure: mail to this address will not get through.
    pub fn permanent(&self) -> bool {
        self.status.starts_with('5')
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// The `Message-ID` of the e-mail the report is about.
    pub original_message_id: Option<String>,
    pub recipients: Vec<RecipientStatus>,
}

/// The delivery report this message is, if it is one.
pub fn read(mail: &ParsedMail<'_>) -> Option<DeliveryReport> {
    let is_report = mail.ctype.mimetype.eq_ignore_ascii_case("multipart/report")
        && mail
            .ctype
            .params
            .get("report-type")
            .is_some_and(|t| t.eq_ignore_ascii_case("delivery-status"));
    if !is_report {
        return None;
    }
    let mut report = DeliveryReport::default();
    for part in &mail.subparts {
        let mime = part.ctype.mimetype.to_ascii_lowercase();
        if mime == "message/delivery-status" || mime == "message/global-delivery-status" {
            let body = part.get_body_raw().unwrap_or_default();
            report.recipients = statuses(&body);
        } else if mime == "message/rfc822"
            || mime == "text/rfc822-headers"
            || mime == "message/global"
            || mime == "message/global-headers"
        {
            let body = part.get_body_raw().unwrap_or_default();
            if let Ok((headers, _)) = mailparse::parse_headers(&body) {
                report.original_message_id = headers
                    .get_first_value("Message-ID")
                    .and_then(|v| super::ids(&v).into_iter().next());
            }
        }
    }
    Some(report)
}

/// The per-recipient blocks of a `message/delivery-status` body (the first block is the
/// message's own fields).
fn statuses(body: &[u8]) -> Vec<RecipientStatus> {
    let text = String::from_utf8_lossy(body).replace("\r\n", "\n");
    text.split("\n\n")
        .skip(1)
        .filter_map(|block| {
            let block = format!("{}\n\n", block.trim());
            let (headers, _) = mailparse::parse_headers(block.as_bytes()).ok()?;
            let field = |name: &str| headers.get_first_value(name).map(|v| super::one_line(&v));
            let status = field("Status")?;
            Some(RecipientStatus {
                recipient: field("Final-Recipient")
                    .or_else(|| field("Original-Recipient"))
                    .map(|r| {
                        r.split_once(';')
                            .map_or(r.clone(), |(_, a)| a.trim().to_owned())
                    }),
                action: field("Action").unwrap_or_default().to_ascii_lowercase(),
                status: status
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
                diagnostic: field("Diagnostic-Code"),
            })
        })
        .collect()
}
