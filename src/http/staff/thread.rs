//! The conversation with the reader as the API shows it: staff replies and what came back,
//! in order, with each e-mail's delivery state (bounces included).

use serde::Serialize;
use utoipa::ToSchema;

use super::values::{delivery_state, DeliveryState, Instant};
use crate::desk::triage::Record;

/// One message of the thread.
#[derive(Debug, Serialize, ToSchema)]
pub struct Message {
    /// For an inbound message, the `{message_id}` of its raw download.
    pub id: String,
    /// `inbound` (from the reader, or a delivery report) or `outbound` (a staff reply).
    pub direction: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    /// The new text: quoted history stripped (the raw message keeps it all). Never HTML.
    pub body: String,
    pub at: Instant,
    /// Outbound: where its e-mail stands.
    pub delivery: Option<DeliveryState>,
    /// Inbound: why it triggered nothing (`out_of_office`, `sender_limit`, a bounce's
    /// `permanent_failure`…).
    pub note: Option<String>,
    /// Inbound: attachments by name, type and size (they stay in the raw message).
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct Attachment {
    pub name: String,
    #[serde(rename = "type")]
    pub mime: String,
    pub size: u64,
}

pub fn messages(r: &Record) -> Vec<Message> {
    r.replies
        .iter()
        .map(|m| {
            let delivery = r
                .deliveries
                .iter()
                .find(|d| Some(&d.id) == m.outbox_id.as_ref());
            let inbound = r.inbound.iter().find(|i| i.id == m.id);
            Message {
                id: m.id.clone(),
                direction: m.direction.clone(),
                from: delivery
                    .map(|d| d.from_addr.clone())
                    .or_else(|| inbound.map(|i| i.sender.clone()))
                    .unwrap_or_default(),
                to: delivery
                    .map(|d| d.recipients.clone())
                    .or_else(|| inbound.map(|i| i.recipients.clone()))
                    .unwrap_or_default(),
                subject: m.subject.clone(),
                body: m.body.clone(),
                at: m.created_at.into(),
                delivery: delivery.map(delivery_state),
                note: inbound.and_then(|i| i.reason.clone()),
                attachments: inbound
                    .and_then(|i| serde_json::from_str(&i.attachments).ok())
                    .unwrap_or_default(),
            }
        })
        .collect()
}
