//! A message that answers nothing: sent to a queue's address, it becomes a new submission of
//! that queue's desk (channel `email`), screened like a form post; otherwise, or when it is
//! automatic or its sender is past the limit, it is kept for admins, never dropped.

use super::addresses::queue_of;
use super::{over_sender_limit, store, Arrival, InboundError, Receipt};
use crate::db::inbound_mail::{self, Effects};
use crate::db::{self};
use crate::desk::intake::{self, ClientMeta};
use crate::desk::screening::Clues;
use crate::desk::Context;
use crate::domain::{
    Channel, Desk, FormKind, Locale, MessageBody, NewSubmission, OneLine, ReaderEmail, Topic,
    NAME_MAX, SUBJECT_MAX,
};

pub(super) async fn receive(state: &Context, arrival: Arrival) -> Result<Receipt, InboundError> {
    let unmatched = |reason: &'static str| (reason, Effects::default());
    let queue = arrival
        .parsed
        .recipients
        .iter()
        .find_map(|r| queue_of(state, r));
    let refusal = if let Some(reason) = arrival.parsed.automatic() {
        Some(reason)
    } else if queue.is_none() {
        Some("no_queue_address")
    } else if over_sender_limit(state, &arrival.row.sender).await? {
        Some("sender_limit")
    } else {
        None
    };
    let submission = match (refusal, &queue) {
        (None, Some(queue)) => match submission_of(state, &arrival, queue) {
            Ok(s) => s,
            Err(reason) => {
                let (reason, effects) = unmatched(reason);
                return store(state, arrival, None, "unmatched", Some(reason), effects).await;
            }
        },
        (reason, _) => {
            let (reason, effects) = unmatched(reason.unwrap_or("no_match"));
            return store(state, arrival, None, "unmatched", Some(reason), effects).await;
        }
    };
    // Kept first, as unmatched: a crash before the submission is written leaves it in the
    // admins' list, and a second delivery finds it rather than making a second submission.
    let receipt = store(
        state,
        arrival,
        None,
        "unmatched",
        Some("becoming_submission"),
        Effects::default(),
    )
    .await?;
    if receipt.outcome == "duplicate" {
        return Ok(receipt);
    }
    let now_ms = chrono::Utc::now().timestamp_millis();
    let suspicions: Vec<&'static str> = state
        .screen
        .reasons(&submission, &Clues::default(), None, now_ms)
        .await
        .into_iter()
        // What only a form can carry is not asked of an e-mail.
        .filter(|r| *r != "missing_token" && !r.starts_with("captcha"))
        .collect();
    let meta = ClientMeta {
        channel: Channel::Email,
        ..ClientMeta::default()
    };
    let reference = intake::submit(state, submission, meta, suspicions)
        .await
        .map_err(|e| match e {
            intake::IntakeError::Db(e) => InboundError::Db(e),
            other => InboundError::Intake(other.to_string()),
        })?;
    let reference = reference.as_str().to_owned();
    let (id, lookup) = (receipt.id.clone(), reference.clone());
    db::run(&state.pool, move |c| {
        if let Some(s) = inbound_mail::submission_by_reference(c, &lookup)? {
            inbound_mail::link(c, &id, &s.id, "new_submission")?;
        }
        Ok(())
    })
    .await?;
    Ok(Receipt {
        id: receipt.id,
        outcome: "new_submission",
        reason: None,
        reference: Some(reference),
    })
}

/// The submission an e-mail to `queue` makes: the form of the queue's desk, topic `other`, the
/// locale of `Content-Language` (else French), the subject and text as bounded as a form's.
fn submission_of(
    state: &Context,
    arrival: &Arrival,
    queue: &str,
) -> Result<NewSubmission, &'static str> {
    let desk = state
        .settings
        .queues
        .get(queue)
        .map(|q| q.desk)
        .ok_or("no_queue_address")?;
    let form = match desk {
        Desk::Editorial => FormKind::Newsroom,
        Desk::Commercial => FormKind::Sales,
    };
    let from = arrival.parsed.from.as_ref().ok_or("null_sender")?;
    let email = ReaderEmail::parse(&from.address).map_err(|_| "invalid_sender")?;
    let local = from.address.split('@').next().unwrap_or_default();
    let name_text: String = from
        .name
        .clone()
        .unwrap_or_else(|| local.to_owned())
        .chars()
        .take(NAME_MAX)
        .collect();
    let name = OneLine::parse(&name_text, NAME_MAX)
        .or_else(|_| OneLine::parse(local, NAME_MAX))
        .map_err(|_| "invalid_sender")?;
    let subject_text: String = arrival.row.subject.chars().take(SUBJECT_MAX).collect();
    let subject = OneLine::parse(&subject_text, SUBJECT_MAX).ok();
    let mut text: String = arrival
        .row
        .body
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .take(MessageBody::MAX_CHARS)
        .collect();
    if text.trim().is_empty() {
        text = subject_text.clone();
    }
    let message = MessageBody::parse(&text).map_err(|_| "empty_message")?;
    let locale = match arrival.parsed.content_language.as_deref() {
        Some(l) if l.trim().to_ascii_lowercase().starts_with("en") => Locale::En,
        _ => Locale::Fr,
    };
    Ok(NewSubmission {
        form,
        topic: Topic::Other,
        locale,
        name,
        email,
        phone: None,
        organisation: None,
        subject,
        message,
        article_url: None,
        article_title: None,
        article_published_at: None,
        marketing_opt_in: false,
        consent_version: None,
    })
}
