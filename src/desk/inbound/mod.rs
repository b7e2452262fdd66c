//! Readers' mail coming back in, by whichever way (the MTA's pipe, IMAP, raw MIME over HTTP):
//! matched to its submission, or made a new one, or kept for admins; loops, noise and bounces
//! understood. `receive` is the one use case all three ways call.

pub mod addresses;
mod bounce;
pub mod imap;
mod matching;
mod new_submission;
mod park;
mod reply;
pub mod views;

pub use matching::reference_in_subject;
use matching::Found;
pub use views::{raw, unmatched};

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::db::inbound_mail::{self, Effects, InboundMailRow, Written};
use crate::db::{self, DbError};
use crate::desk::Context;
use crate::mail::inbound::{self as parse, quotes, Inbound};

/// What became of a message.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Receipt {
    /// The stored message's id (empty when a simultaneous delivery stored it first).
    pub id: String,
    /// `reply`, `new_submission`, `unmatched`, `ignored`, `bounce`, or `duplicate`.
    pub outcome: &'static str,
    /// Why it triggered nothing, when it did not.
    pub reason: Option<String>,
    /// The reference of the submission it landed on, if any.
    pub reference: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    #[error("message over inbound.max_bytes ({max} bytes)")]
    TooLarge { max: usize },
    #[error("cannot be parsed as an e-mail message: {0}")]
    Unparseable(String),
    /// Nothing was stored: the sender should try again later.
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("e-mail template failed")]
    Render(#[from] askama::Error),
    #[error("storing the message as a submission failed: {0}")]
    Intake(String),
    /// Reading the message failed (the parser gave up midway).
    #[error("reading the message failed: {0}")]
    Read(String),
}

impl InboundError {
    /// Whether trying again later can help: the database was away. Nothing else is: a message
    /// that fails for another reason is parked (`park`), not handed back to be tried again.
    pub fn is_temporary(&self) -> bool {
        matches!(
            self,
            InboundError::Db(DbError::Unavailable(_) | DbError::Task(_))
        )
    }

    /// Whether the message is refused outright, as not mail or too large: the sender is told,
    /// and nothing is stored.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            InboundError::TooLarge { .. } | InboundError::Unparseable(_)
        )
    }
}

/// The reason of a message to a submission that is gone (erased or purged).
const GONE: &str = "submission_gone";

/// A message, parsed, with the row it will be stored as.
pub(crate) struct Arrival {
    pub parsed: Inbound,
    pub row: InboundMailRow,
}

/// Takes in one raw message, whichever way it came. Returns once what it causes is committed.
///
/// A message that fails for a reason that will not go away by itself (anything but the
/// database being away, or the message being refused as not mail or too large) is parked:
/// stored as unmatched, with the error as its reason, for admins. One message never stalls a
/// way in.
pub async fn receive(state: &Context, raw: Vec<u8>) -> Result<Receipt, InboundError> {
    let max = state.settings.inbound.max_bytes;
    if raw.len() > max {
        return Err(InboundError::TooLarge { max });
    }
    let raw = Arc::new(raw);
    let arrival = match read(state, raw.clone()).await {
        Ok(arrival) => arrival,
        Err(e) if e.is_temporary() || e.is_refusal() => return Err(e),
        Err(e) => return park::park(state, None, &raw, e).await,
    };
    let shell = park::shell(&arrival.row);
    match route(state, arrival).await {
        Err(e) if !e.is_temporary() && !e.is_refusal() => {
            park::park(state, Some(shell), &raw, e).await
        }
        done => done,
    }
}

/// Where a message read goes: dropped as a duplicate, a bounce, our own message back, a reply,
/// or a new submission (or unmatched).
async fn route(state: &Context, arrival: Arrival) -> Result<Receipt, InboundError> {
    let (key, message_id, sender) = (
        arrival.row.dedupe_key.clone(),
        arrival.row.message_id.clone(),
        arrival.row.sender.clone(),
    );
    if let Some(id) = db::run(&state.pool, move |c| {
        inbound_mail::stored_before(c, &key, message_id.as_deref(), &sender)
    })
    .await?
    {
        return Ok(duplicate(id));
    }
    if arrival.parsed.report.is_some() {
        return bounce::receive(state, arrival).await;
    }
    // One of our own messages coming back (a loop through a forwarding address).
    if let Some(own) = arrival.parsed.message_id.clone() {
        let found = db::run(&state.pool, move |c| inbound_mail::sent_by_us(c, &own)).await?;
        if let Some(submission_id) = found {
            return store(
                state,
                arrival,
                Some(submission_id),
                "ignored",
                Some("own_message"),
                Effects::default(),
            )
            .await;
        }
    }
    match matching::find(state, &arrival.parsed).await? {
        Found::Submission(submission) => reply::receive(state, arrival, *submission).await,
        Found::Gone => {
            store(
                state,
                arrival,
                None,
                "unmatched",
                Some(GONE),
                Effects::default(),
            )
            .await
        }
        Found::Nothing => new_submission::receive(state, arrival).await,
    }
}

/// Parsing runs off the async threads (the web workers among them), a few messages at a time
/// for the whole process, and its HTML conversion within `inbound.html_budget_ms`: a message
/// built to be costly to read holds up neither the web server nor the other ways in.
static PARSERS: OnceLock<Arc<Semaphore>> = OnceLock::new();

/// The message read: parsed, keyed, and made the row it will be stored as.
async fn read(state: &Context, raw: Arc<Vec<u8>>) -> Result<Arrival, InboundError> {
    let parsers = PARSERS
        .get_or_init(|| Arc::new(Semaphore::new(state.settings.inbound.parsers.max(1))))
        .clone();
    // Held by the parse itself: a caller that goes away (a client hanging up) does not free
    // its turn before the parse ends.
    let turn = parsers
        .acquire_owned()
        .await
        .map_err(|e| InboundError::Read(e.to_string()))?;
    let budget = Duration::from_millis(state.settings.inbound.html_budget_ms);
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        let parsed = parse::parse_within(&raw, Some(budget))
            .map_err(|e| InboundError::Unparseable(e.to_string()))?;
        let key = parsed.dedupe_key(&raw);
        Ok(arrival(parsed, raw.to_vec(), key))
    })
    .await
    .map_err(|e| InboundError::Read(e.to_string()))?
}

fn arrival(parsed: Inbound, raw: Vec<u8>, key: String) -> Arrival {
    let attachments = serde_json::to_string(&parsed.attachments).unwrap_or_else(|_| "[]".into());
    let sender = parsed
        .from
        .as_ref()
        .map(|f| f.address.to_ascii_lowercase())
        .unwrap_or_default();
    let row = InboundMailRow {
        id: uuid::Uuid::now_v7().to_string(),
        submission_id: None,
        dedupe_key: key,
        message_id: parsed.message_id.clone(),
        sender,
        recipients: parsed.to.join(", "),
        subject: parsed.subject.clone(),
        full_text: parsed.text.clone(),
        body: quotes::strip(&parsed.text),
        attachments,
        raw,
        outcome: String::new(),
        reason: None,
        created_at: db::now(),
    };
    Arrival { parsed, row }
}

/// Stores the message with its effects; a second delivery of it finds the first.
pub(crate) async fn store(
    state: &Context,
    arrival: Arrival,
    submission_id: Option<String>,
    outcome: &'static str,
    reason: Option<&str>,
    effects: Effects,
) -> Result<Receipt, InboundError> {
    let mut row = arrival.row;
    row.submission_id = submission_id;
    row.outcome = outcome.to_owned();
    row.reason = reason.map(str::to_owned);
    let id = row.id.clone();
    let wrote_mail = !effects.mails.is_empty();
    let reference = match &row.submission_id {
        Some(s) => {
            let s = s.clone();
            db::run(&state.pool, move |c| {
                inbound_mail::submission(c, &s).map(|r| r.map(|r| r.reference))
            })
            .await?
        }
        None => None,
    };
    let (written, mut row) = db::run(&state.pool, move |c| {
        inbound_mail::store(c, &row, &effects).map(|w| (w, row))
    })
    .await?;
    match written {
        Written::Duplicate(id) => Ok(duplicate(id)),
        // Erased or purged since it was matched: kept as unmatched, without what it would have
        // caused on the submission.
        Written::SubmissionGone => {
            row.submission_id = None;
            row.outcome = "unmatched".into();
            row.reason = Some(GONE.into());
            let written = db::run(&state.pool, move |c| {
                inbound_mail::store(c, &row, &Effects::default())
            })
            .await?;
            Ok(match written {
                Written::Duplicate(id) => duplicate(id),
                _ => Receipt {
                    id,
                    outcome: "unmatched",
                    reason: Some(GONE.into()),
                    reference: None,
                },
            })
        }
        Written::Stored => {
            if wrote_mail {
                state.outbox_wakeup.notify_one();
            }
            tracing::info!(outcome, reason, "inbound message stored");
            Ok(Receipt {
                id,
                outcome,
                reason: reason.map(str::to_owned),
                reference,
            })
        }
    }
}

fn duplicate(id: String) -> Receipt {
    Receipt {
        id,
        outcome: "duplicate",
        reason: Some("already_stored".into()),
        reference: None,
    }
}

/// Whether this sender passed the per-sender limit in the last hour.
pub(crate) async fn over_sender_limit(state: &Context, sender: &str) -> Result<bool, InboundError> {
    let cap = i64::from(state.settings.inbound.per_sender_per_hour);
    let since = db::now() - chrono::Duration::hours(1);
    let sender = sender.to_owned();
    let n = db::run(&state.pool, move |c| {
        inbound_mail::count_from(c, &sender, since, cap)
    })
    .await?;
    Ok(n >= cap)
}
