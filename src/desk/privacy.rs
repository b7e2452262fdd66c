//! A reader's rights over their data (GDPR Art. 15, 17, 20 and 21): the export of everything
//! held that their address sent or received, its erasure, and the withdrawal of the marketing
//! opt-in through the signed link of commercial e-mails. The requests are audited; the audit
//! never names the address.

use crate::domain::EventKind;
use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde_json::json;

use super::views::{Inbound, Record};
use super::Caller;
use super::Context;
use crate::db::events::NewEvent;
use crate::db::{self, DbError};
use crate::domain::{FieldError, FieldErrors, ReaderEmail};
use crate::mail::reply_token::ReplyKey;

#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    /// The address does not parse.
    #[error("invalid fields")]
    Invalid(FieldErrors),
    /// A forged, foreign or expired opt-out token, or one whose submission is gone.
    #[error("not found")]
    NotFound,
    /// The data rights are exercised by admins (and the operator) only.
    #[error("not allowed")]
    Forbidden,
    #[error(transparent)]
    Db(#[from] DbError),
}

fn address(raw: &str) -> Result<ReaderEmail, PrivacyError> {
    ReaderEmail::parse(raw).map_err(|e: FieldError| {
        let mut fields = FieldErrors::new();
        fields.insert("email", vec![e]);
        PrivacyError::Invalid(fields)
    })
}

/// Everything held about one address.
pub struct Export {
    /// The address as asked (folded to lower case).
    pub email: String,
    pub generated_at: NaiveDateTime,
    /// The submissions it sent, each with all that hangs on it. Notes' text is blank when
    /// `note_text` is false.
    pub submissions: Vec<Record>,
    /// Whether notes carry their text (`privacy.export_note_text`).
    pub note_text: bool,
    /// Mail it sent that is on none of its submissions: it matched nothing, or it joined
    /// another reader's thread (that thread is not theirs to take).
    pub mail: Vec<Inbound>,
}

/// The export of an address (Art. 15 and 20): its submissions, messages both ways, staff
/// replies, notes, consent, e-mail deliveries and the marketing withdrawal, and the mail it
/// sent that is on none of them. Others' submissions
/// that merely mention the address are not the person's data to take: they are left out.
pub async fn export(state: &Context, who: &Caller, email: &str) -> Result<Export, PrivacyError> {
    who.require_admin().map_err(|_| PrivacyError::Forbidden)?;
    let email = address(email)?;
    let folded = email.folded();
    let note_text = state.settings.privacy.export_note_text;
    let actor = who.id.clone();
    let (submissions, mail, generated_at) = db::run(&state.pool, move |conn| {
        // One snapshot: an erasure of the same address meanwhile must not make a listed
        // submission vanish between its listing and its reading.
        let (records, mail) = db::snapshot(conn, |conn| {
            let rows = db::privacy::submissions_of(conn, &folded)?;
            let own: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            let mail = db::privacy::sent_elsewhere(conn, &folded, &own)?;
            let mut records = Vec::with_capacity(rows.len());
            for row in rows {
                records.push(Record::from(db::triage::record(conn, row)?));
            }
            Ok((records, mail))
        })?;
        let now = db::now();
        let references: Vec<&str> = records
            .iter()
            .map(|r| r.submission.reference.as_str())
            .collect();
        let event = NewEvent::new(
            None,
            &actor,
            EventKind::PrivacyExport,
            &json!({ "submissions": references }),
            now,
        );
        db::write(conn, |conn| db::privacy::record_event(conn, &event))?;
        Ok((records, mail, now))
    })
    .await?;
    let submissions = submissions
        .into_iter()
        .map(|mut r| {
            if !note_text {
                r.notes.iter_mut().for_each(|n| n.body.clear());
            }
            r
        })
        .collect();
    Ok(Export {
        email: email.folded(),
        generated_at,
        submissions,
        note_text,
        mail: mail.into_iter().map(Inbound::from).collect(),
    })
}

/// What an erasure did.
pub struct Erasure {
    pub email: String,
    /// Rows removed or emptied, per table.
    pub tables: BTreeMap<&'static str, usize>,
    /// E-mails to the address that had not left yet, cancelled.
    pub cancelled_emails: usize,
    /// References erased; a tombstone without personal data stands for each.
    pub erased: Vec<String>,
    /// References on legal hold, left alone.
    pub held: Vec<String>,
    /// The flood limiters' counts of the address forgotten: in memory, and in the shared store
    /// (`None` when the shared store did not answer).
    pub limits_cleared: Option<bool>,
}

/// The erasure of an address (Art. 17): its submissions and everything attached, its traces
/// elsewhere, its pending e-mails, its sign-in throttle rows and its flood-limit counts.
/// Submissions on legal hold are reported and left alone.
pub async fn erase(state: &Context, who: &Caller, email: &str) -> Result<Erasure, PrivacyError> {
    who.require_admin().map_err(|_| PrivacyError::Forbidden)?;
    let email = address(email)?;
    let folded = email.folded();
    let key = secrecy::ExposeSecret::expose_secret(&state.settings.privacy.ip_hash_key);
    // The acknowledgements' log keeps the mailbox only as this hash (see intake).
    let mailbox_hash = super::auth::keyed_hash(key.as_bytes(), &email.mailbox());
    let actor = who.id.clone();
    let erased = db::run(&state.pool, move |conn| {
        db::privacy::erase(conn, &folded, &mailbox_hash, db::now(), |e| {
            NewEvent::new(
                None,
                &actor,
                EventKind::PrivacyErasure,
                &json!({
                    "erased": e.references,
                    "held": e.held,
                    "tables": e.tables,
                    "cancelled_emails": e.cancelled_emails,
                }),
                db::now(),
            )
        })
    })
    .await?;
    let limits_cleared = state.form_limits.forget_reader(&email).await;
    Ok(Erasure {
        email: email.folded(),
        tables: erased.tables,
        cancelled_emails: erased.cancelled_emails,
        erased: erased.references,
        held: erased.held,
        limits_cleared,
    })
}

/// The key that signs opt-out links: `mail.reply_key`, or `privacy.ip_hash_key` while that is
/// unset (both are the deployment's secrets).
fn optout_key(state: &Context) -> &ReplyKey {
    state.outgoing.optout_key()
}

/// The signed opt-out link of a commercial submission, for its e-mails (body and
/// `List-Unsubscribe`), valid `privacy.optout_link_days` from `now`.
pub fn optout_link(state: &Context, reference: &str, now: NaiveDateTime) -> String {
    state.outgoing.optout_link(reference, now)
}

/// The reference a valid, unexpired token names.
fn reference_of(state: &Context, token: &str) -> Result<String, PrivacyError> {
    optout_key(state)
        .verify_optout(token, db::now().date())
        .ok_or(PrivacyError::NotFound)
}

/// Whether the token's reader has already withdrawn (for the confirmation page).
pub async fn optout_state(state: &Context, token: &str) -> Result<bool, PrivacyError> {
    let reference = reference_of(state, token)?;
    let found = db::run(&state.pool, move |conn| {
        db::privacy::withdrawn_at(conn, &reference)
    })
    .await?;
    found.map(|at| at.is_some()).ok_or(PrivacyError::NotFound)
}

/// Records the withdrawal of the marketing opt-in for the token's reader, on each of their
/// submissions, audited; withdrawing again changes nothing.
pub async fn withdraw_marketing(state: &Context, token: &str) -> Result<(), PrivacyError> {
    let reference = reference_of(state, token)?;
    let now = db::now();
    let found = db::run(&state.pool, move |conn| {
        db::privacy::withdraw_marketing(conn, &reference, now, |id| {
            NewEvent::new(
                Some(id),
                "reader",
                EventKind::MarketingWithdrawn,
                &json!({ "via": "optout_link" }),
                now,
            )
        })
    })
    .await?;
    found.map(|_| ()).ok_or(PrivacyError::NotFound)
}
