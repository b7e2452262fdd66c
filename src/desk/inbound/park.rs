//! A message that failed for a reason that will not go away by itself is parked: stored as
//! unmatched, the error as its reason, where admins see it (`GET /v1/inbound/unmatched`,
//! `courrier mail unmatched`); and the way it came in goes on to the next message. Only the
//! database being away hands a message back to be tried again (exit 75, 503, left in the IMAP
//! mailbox).
//!
//! It is stored as read (sender, subject, text) if the database takes that, else as its raw
//! bytes alone: what made it fail may be one of the fields read.

use super::{duplicate, InboundError, Receipt};
use crate::db::inbound_mail::{self, Effects, InboundMailRow, Written};
use crate::db::{self};
use crate::desk::Context;
use crate::mail::inbound as parse;

/// The longest reason kept, in characters.
const REASON_MAX: usize = 500;

/// The row a message would have been stored as, without its raw bytes (kept once, by the
/// caller).
pub(super) fn shell(row: &InboundMailRow) -> InboundMailRow {
    InboundMailRow {
        id: row.id.clone(),
        submission_id: None,
        dedupe_key: row.dedupe_key.clone(),
        message_id: row.message_id.clone(),
        sender: row.sender.clone(),
        recipients: row.recipients.clone(),
        subject: row.subject.clone(),
        full_text: row.full_text.clone(),
        body: row.body.clone(),
        attachments: row.attachments.clone(),
        raw: Vec::new(),
        outcome: String::new(),
        reason: None,
        created_at: row.created_at,
    }
}

/// Stores the message as unmatched with the error that stopped it; the error back only when
/// not even its raw bytes could be stored.
pub(super) async fn park(
    state: &Context,
    shell: Option<InboundMailRow>,
    raw: &[u8],
    error: InboundError,
) -> Result<Receipt, InboundError> {
    let reason = reason_of(&error);
    tracing::error!(error = %reason, "inbound message failed; parked as unmatched");
    let bare = InboundMailRow {
        id: uuid::Uuid::now_v7().to_string(),
        submission_id: None,
        dedupe_key: shell
            .as_ref()
            .map_or_else(|| parse::digest_key(raw), |s| s.dedupe_key.clone()),
        message_id: None,
        sender: String::new(),
        recipients: String::new(),
        subject: String::new(),
        full_text: String::new(),
        body: String::new(),
        attachments: "[]".into(),
        raw: Vec::new(),
        outcome: "unmatched".into(),
        reason: Some(reason.clone()),
        created_at: db::now(),
    };
    let read = shell.map(|s| InboundMailRow {
        outcome: "unmatched".into(),
        reason: Some(reason.clone()),
        ..s
    });
    let mut last = error;
    for mut row in read.into_iter().chain([bare]) {
        row.raw = raw.to_vec();
        let id = row.id.clone();
        let key = row.dedupe_key.clone();
        let written = db::run(&state.pool, move |c| {
            inbound_mail::store(c, &row, &Effects::default())
        })
        .await;
        match written {
            Ok(Written::Stored) => return Ok(parked(id, reason)),
            // Kept already, as unmatched while it was becoming a submission: it gets the
            // reason. Else another delivery of it was stored in the meantime.
            Ok(Written::Duplicate(other)) => {
                let why = reason.clone();
                let kept = db::run(&state.pool, move |c| inbound_mail::park(c, &key, &why)).await?;
                return Ok(match kept {
                    Some(id) => parked(id, reason),
                    None => duplicate(other),
                });
            }
            // A parked row names no submission: nothing to be gone. Tried bare, then.
            Ok(Written::SubmissionGone) => {}
            Err(e) => {
                let e = InboundError::Db(e);
                if e.is_temporary() {
                    return Err(e);
                }
                tracing::error!(error = %reason_of(&e), "parking the inbound message failed");
                last = e;
            }
        }
    }
    Err(last)
}

fn parked(id: String, reason: String) -> Receipt {
    Receipt {
        id,
        outcome: "unmatched",
        reason: Some(reason),
        reference: None,
    }
}

/// `failed: ` and the error with its causes, on one line, NUL-free and bounded.
fn reason_of(error: &InboundError) -> String {
    let mut text = String::from("failed: ");
    let mut cause: Option<&dyn std::error::Error> = Some(error);
    let mut first = true;
    while let Some(e) = cause {
        if !first {
            text.push_str(": ");
        }
        text.push_str(&e.to_string());
        first = false;
        cause = e.source();
    }
    parse::one_line(&text).chars().take(REASON_MAX).collect()
}
