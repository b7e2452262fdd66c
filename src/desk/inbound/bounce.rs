//! Delivery status notifications about our e-mails: the e-mail is marked bounced with the
//! report's status and diagnostic; a permanent failure holds further mail to that reader
//! address on that submission, and the thread says so.

use crate::domain::EventKind;
use serde_json::json;

use super::{store, Arrival, InboundError, Receipt};
use crate::db::bounces;
use crate::db::events::NewEvent;
use crate::db::inbound_mail::{BounceEffect, Effects};
use crate::db::messages::MessageRow;
use crate::db::{self};
use crate::desk::Context;

pub(super) async fn receive(state: &Context, arrival: Arrival) -> Result<Receipt, InboundError> {
    let report = arrival.parsed.report.clone().unwrap_or_default();
    let mut names = Vec::new();
    names.extend(report.original_message_id.clone());
    names.extend(arrival.parsed.parents.iter().cloned());
    let reported = db::run(&state.pool, move |c| {
        for name in &names {
            if let Some(found) = bounces::reported(c, name)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    })
    .await?;
    let Some(reported) = reported else {
        return store(
            state,
            arrival,
            None,
            "unmatched",
            Some("delivery_report"),
            Effects::default(),
        )
        .await;
    };
    let failed = report
        .recipients
        .iter()
        .find(|r| r.action == "failed")
        .or_else(|| report.recipients.first())
        .cloned();
    let Some(failed) = failed.filter(|r| r.action == "failed") else {
        // Delayed, relayed or delivered: nothing to record on the e-mail.
        return store(
            state,
            arrival,
            Some(reported.submission_id),
            "ignored",
            Some("delivery_delayed"),
            Effects::default(),
        )
        .await;
    };
    let permanent = failed.permanent();
    let address = failed.recipient.clone().unwrap_or_else(|| {
        reported
            .recipients
            .rsplit_once('<')
            .map_or(reported.recipients.as_str(), |(_, a)| {
                a.trim_end_matches('>')
            })
            .to_owned()
    });
    let now = arrival.row.created_at;
    let diagnostic = failed
        .diagnostic
        .clone()
        .map(|d| d.chars().take(1000).collect::<String>());
    let mut effects = Effects {
        bounce: Some(BounceEffect {
            outbox_id: reported.id.clone(),
            status: failed.status.clone(),
            diagnostic: diagnostic.clone(),
            hold: permanent.then(|| (reported.submission_id.clone(), address.clone())),
        }),
        ..Effects::default()
    };
    effects.events.push(NewEvent::new(
        Some(&reported.submission_id),
        "mailer",
        EventKind::DeliveryBounced,
        &json!({"delivery": reported.id, "status": failed.status, "permanent": permanent}),
        now,
    ));
    // The thread says what happened, and what it means for the next e-mails.
    let said = if permanent {
        format!(
            "Permanent delivery failure ({}): {}\nFurther e-mail to this reader address on this \
             submission is held, not sent.",
            failed.status,
            diagnostic.as_deref().unwrap_or("no diagnostic")
        )
    } else {
        format!(
            "Delivery failure ({}): {}",
            failed.status,
            diagnostic.as_deref().unwrap_or("no diagnostic")
        )
    };
    effects.message = Some(MessageRow {
        id: arrival.row.id.clone(),
        submission_id: reported.submission_id.clone(),
        direction: "inbound".into(),
        author_id: None,
        outbox_id: None,
        message_id: arrival
            .parsed
            .message_id
            .clone()
            .unwrap_or_else(|| arrival.row.dedupe_key.clone()),
        subject: arrival.row.subject.clone(),
        body: said,
        created_at: now,
    });
    let reason = if permanent {
        "permanent_failure"
    } else {
        "transient_failure"
    };
    store(
        state,
        arrival,
        Some(reported.submission_id),
        "bounce",
        Some(reason),
        effects,
    )
    .await
}
