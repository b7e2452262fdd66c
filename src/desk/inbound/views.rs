//! What staff read of inbound mail: a submission's raw messages (as visible as the submission)
//! and, for admins, the messages that matched nothing.

use crate::db::inbound_mail::{self, InboundSummary};
use crate::db::{self};
use crate::desk::triage::{self, TriageError};
use crate::desk::Caller;
use crate::desk::Context;

/// The raw message (`message/rfc822`) of one inbound message of a submission the caller may
/// see; `NotFound` for any other.
pub async fn raw(
    state: &Context,
    who: &Caller,
    key: &str,
    message_id: &str,
) -> Result<Vec<u8>, TriageError> {
    let submission = triage::get(state, who, key).await?;
    let message_id = message_id.to_owned();
    db::run(&state.pool, move |c| {
        inbound_mail::raw(c, &submission.id, &message_id)
    })
    .await?
    .ok_or(TriageError::NotFound)
}

/// Messages that matched no submission, newest first: admins only.
pub async fn unmatched(
    state: &Context,
    who: &Caller,
    limit: i64,
) -> Result<Vec<InboundSummary>, TriageError> {
    who.require_admin()?;
    Ok(db::run(&state.pool, move |c| inbound_mail::unmatched(c, limit)).await?)
}

/// Every inbound message of a submission (no raw bytes), for the command line and the thread.
pub async fn unmatched_for_cli(
    state: &Context,
    limit: i64,
) -> Result<Vec<InboundSummary>, crate::db::DbError> {
    db::run(&state.pool, move |c| inbound_mail::unmatched(c, limit)).await
}
