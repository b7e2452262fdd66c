//! Which submission a message answers, in this order: a valid token in a recipient address;
//! `In-Reply-To`/`References` naming a message of the thread; the reference in the subject,
//! but only from the submission's own reader address.

use super::addresses::{queue_addresses, reply_key};
use super::InboundError;
use crate::db::inbound_mail;
use crate::db::submissions::SubmissionRow;
use crate::db::{self};
use crate::desk::Context;
use crate::domain::Reference;
use crate::mail::inbound::Inbound;

/// What a message answers.
pub(super) enum Found {
    Submission(Box<SubmissionRow>),
    /// A submission that was there: its signed reply address names it, but it has been erased
    /// or purged since.
    Gone,
    Nothing,
}

impl From<Option<SubmissionRow>> for Found {
    fn from(found: Option<SubmissionRow>) -> Self {
        found.map_or(Found::Nothing, |s| Found::Submission(Box::new(s)))
    }
}

pub(super) async fn find(state: &Context, m: &Inbound) -> Result<Found, InboundError> {
    if let Some(key) = reply_key(state) {
        let queues = queue_addresses(state);
        let named = m
            .recipients
            .iter()
            .find_map(|r| key.reference_in(r, &queues));
        if let Some(reference) = named {
            let found = db::run(&state.pool, move |c| {
                inbound_mail::submission_by_reference(c, &reference)
            })
            .await?;
            // Only Courrier signs these: no submission under it means it is gone.
            return Ok(found.map_or(Found::Gone, |s| Found::Submission(Box::new(s))));
        }
    }
    if !m.parents.is_empty() {
        let parents = m.parents.clone();
        let found = db::run(&state.pool, move |c| {
            match inbound_mail::thread_of(c, &parents)? {
                Some(id) => inbound_mail::submission(c, &id),
                None => Ok(None),
            }
        })
        .await?;
        if let Some(found) = found {
            return Ok(Found::Submission(Box::new(found)));
        }
    }
    let sender = m
        .from
        .as_ref()
        .map(|f| f.address.clone())
        .unwrap_or_default();
    if let Some(reference) = reference_in_subject(&m.subject) {
        let found = db::run(&state.pool, move |c| {
            inbound_mail::submission_by_reference(c, &reference)
        })
        .await?;
        return Ok(found
            .filter(|s| !sender.is_empty() && s.email.eq_ignore_ascii_case(&sender))
            .into());
    }
    Ok(Found::Nothing)
}

/// The first well-formed reference (`K7QM-3XZD`, any case) in a subject.
pub fn reference_in_subject(subject: &str) -> Option<String> {
    let upper: Vec<char> = subject.to_uppercase().chars().collect();
    upper.windows(9).find_map(|w| {
        let candidate: String = w.iter().collect();
        Reference::is_well_formed(&candidate).then_some(candidate)
    })
}
