//! The values the staff API's answers are made of: a time as it leaves, and where an e-mail
//! stands. The answers (`views`) and the thread (`thread`) both build on them.

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::MailStatus;

/// Timestamps leave as RFC 3339 in UTC, to the microsecond.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(value_type = String, format = DateTime, example = "2026-11-30T09:15:00.000000Z")]
pub struct Instant(String);

impl From<NaiveDateTime> for Instant {
    fn from(t: NaiveDateTime) -> Self {
        Instant(
            t.and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        )
    }
}

/// Where an e-mail stands in the outbox.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Sent,
    Dead,
    /// A delivery status notification said it failed (see `bounce_status`).
    Bounced,
    /// Kept, not sent: the reader's address bounced permanently (`held_reason`).
    Held,
}

impl From<MailStatus> for DeliveryState {
    fn from(s: MailStatus) -> DeliveryState {
        match s {
            MailStatus::Sent => DeliveryState::Sent,
            MailStatus::Dead => DeliveryState::Dead,
            MailStatus::Pending => DeliveryState::Pending,
        }
    }
}

/// The state an e-mail is shown in: held and bounced before the outbox's own status.
pub fn delivery_state(d: &crate::desk::views::Delivery) -> DeliveryState {
    if d.held_reason.is_some() {
        DeliveryState::Held
    } else if d.bounce_status.is_some() {
        DeliveryState::Bounced
    } else {
        DeliveryState::from(d.status)
    }
}
