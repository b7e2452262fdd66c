//! Taking in a reader's submission: route it, render its e-mails and store all of it in one
//! transaction, then wake the outbox worker.

use crate::domain::EventKind;
use std::net::IpAddr;

use secrecy::ExposeSecret;

use crate::db::acks::{Ack, AckCaps, AckRow};
use crate::db::events::NewEvent;
use crate::db::intake::{NewIntake, Stored};
use crate::db::outbox::NewOutboxRow;
use crate::db::submissions::SubmissionRow;
use crate::db::{self, DbError};
use crate::desk::idempotency::{self, Keyed, Next};
use crate::desk::outgoing::{About, ComposeError};
use crate::desk::screening::Clues;
use crate::desk::Context;
use crate::domain::{NewSubmission, Reference, Status};
use crate::mail::Facts;

/// What the request knows about the sender, besides the form.
#[derive(Debug, Default, Clone)]
pub struct ClientMeta {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// The post's `Idempotency-Key`, with its body's fingerprint.
    pub idempotency: Option<Keyed>,
    /// A form post, or an e-mail to a queue's address (no consent asked, acknowledged only
    /// when `inbound.acknowledge` is on).
    pub channel: crate::domain::Channel,
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// Another post under the same idempotency key was stored first (`receive` replays it).
    #[error("idempotency key already used")]
    KeyTaken,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("e-mail template failed")]
    Render(#[from] askama::Error),
    #[error("configuration: {0}")]
    Config(String),
    /// The post's idempotency key was used for another body.
    #[error("idempotency key reused with another body")]
    KeyReused,
    /// The post names a consent version the configuration does not know.
    #[error("unknown consent version")]
    UnknownConsentVersion,
    /// Too many posts for this reader's address.
    #[error("too many posts for one reader")]
    RateLimited { retry_after_secs: u64 },
}

impl From<ComposeError> for IntakeError {
    fn from(e: ComposeError) -> Self {
        match e {
            ComposeError::Render(e) => IntakeError::Render(e),
            ComposeError::Config(e) => IntakeError::Config(e),
        }
    }
}

/// Takes in a reader's post: a key seen before answers as it did, the per-reader limit applies,
/// the spam checks run, then the submission is stored (see `submit`). Returns its reference.
pub async fn receive(
    state: &Context,
    submission: NewSubmission,
    clues: &Clues,
    meta: ClientMeta,
) -> Result<String, IntakeError> {
    let form = submission.form;
    if let Some(keyed) = &meta.idempotency {
        match idempotency::next(state, form, keyed).await? {
            Next::Replay(reference) => return Ok(reference),
            Next::Refuse => return Err(IntakeError::KeyReused),
            Next::Store => {}
        }
    }
    if let Err(retry_after_secs) = state.form_limits.check_reader(&submission.email).await {
        return Err(IntakeError::RateLimited { retry_after_secs });
    }
    let now_ms = chrono::Utc::now().timestamp_millis();
    let suspicions = state
        .screen
        .reasons(&submission, clues, meta.ip, now_ms)
        .await;
    let keyed = meta.idempotency.clone();
    match submit(state, submission, meta, suspicions).await {
        Ok(reference) => Ok(reference.as_str().to_owned()),
        // The same key arrived at the same moment and was stored first: answer as it did.
        Err(IntakeError::KeyTaken) => match keyed {
            Some(keyed) => match idempotency::next(state, form, &keyed).await? {
                Next::Replay(reference) => Ok(reference),
                Next::Refuse => Err(IntakeError::KeyReused),
                Next::Store => Err(IntakeError::Config("idempotency key vanished".into())),
            },
            None => Err(IntakeError::Config("idempotency key without a key".into())),
        },
        Err(e) => Err(e),
    }
}

/// Stores the submission and its e-mails; returns its public reference once committed.
///
/// A submission with `suspicions` is quarantined: stored as spam with its reasons, and no e-mail
/// is written for it (staff release it; see `triage::patch`).
pub async fn submit(
    state: &Context,
    submission: NewSubmission,
    meta: ClientMeta,
    suspicions: Vec<&'static str>,
) -> Result<Reference, IntakeError> {
    const ATTEMPTS: usize = 4;
    // From here until it is handed over, the group-commit writer may wait for this one.
    let mut on_its_way = state.intake_writer.on_its_way();
    let quarantined = !suspicions.is_empty();
    for attempt in 1..=ATTEMPTS {
        let reference = Reference::generate();
        let intake = prepare(
            state,
            &submission,
            &meta,
            &suspicions,
            &reference,
            db::now(),
        )?;
        let queue = intake.submission.queue.clone();
        match state.intake_writer.store(intake, &mut on_its_way).await {
            Ok(Stored::Done) => {
                state.outbox_wakeup.notify_one();
                state.instruments.submission(
                    submission.form.as_str(),
                    queue.as_str(),
                    if quarantined {
                        crate::instruments::Outcome::Quarantined
                    } else {
                        crate::instruments::Outcome::Accepted
                    },
                );
                return Ok(reference);
            }
            Ok(Stored::KeyTaken) => return Err(IntakeError::KeyTaken),
            Ok(Stored::ReferenceTaken) if attempt < ATTEMPTS => {
                tracing::info!("reference collision, drawing another");
            }
            Ok(Stored::ReferenceTaken) => break,
            Err(e) => return Err(e.into()),
        }
    }
    Err(IntakeError::Config("no free reference".into()))
}

/// Everything a submission writes under `reference`: its row (routed; quarantined when there
/// are `suspicions`), the team's notification and the reader's acknowledgement (none for
/// suspected spam), its event and its idempotency key.
pub fn prepare(
    state: &Context,
    submission: &NewSubmission,
    meta: &ClientMeta,
    suspicions: &[&'static str],
    reference: &Reference,
    now: chrono::NaiveDateTime,
) -> Result<NewIntake, IntakeError> {
    let route = state.router.route(submission.form, submission.topic, now);
    if !state.settings.queues.contains_key(route.queue.as_str()) {
        return Err(IntakeError::Config(format!(
            "queue {} vanished",
            route.queue
        )));
    }
    let consent = crate::desk::consent::shown(
        &state.settings,
        submission.locale,
        submission.consent_version.as_deref(),
    )
    .map_err(|_| IntakeError::UnknownConsentVersion)?;
    let by_mail = meta.channel == crate::domain::Channel::Email;
    let row = new_row(
        state, submission, meta, suspicions, reference, &route, consent, now,
    );
    let id = row.id.clone();
    let quarantined = row.status == Status::Spam;
    // Suspected spam gets no e-mail: the composer writes nothing for a held submission.
    let about = About::from(&row);
    let mails: Vec<NewOutboxRow> = state
        .outgoing
        .tell_team(about, &Facts::from(submission), now)?
        .into_iter()
        .collect();
    let ack = if !by_mail || state.settings.inbound.acknowledge {
        state
            .outgoing
            .acknowledge(about, now)?
            .map(|mail| capped(state, submission, mail, now))
    } else {
        None
    };
    let event = NewEvent::new(
        Some(&id),
        "reader",
        if quarantined {
            EventKind::SubmissionQuarantined
        } else {
            EventKind::SubmissionReceived
        },
        &serde_json::json!({
            "queue": route.queue.as_str(),
            "priority": route.priority.as_str(),
            "topic": submission.topic.as_str(),
            "suspicions": suspicions,
        }),
        now,
    );
    let key = meta
        .idempotency
        .as_ref()
        .map(|keyed| idempotency::row(state, submission.form, keyed, &row.id, now));
    Ok(NewIntake {
        submission: row,
        mails,
        event,
        key,
        ack,
    })
}

/// The submission's row: routed, quarantined as spam when there are `suspicions`, with the
/// consent the reader was shown (none asked of a reader who wrote to us).
#[allow(clippy::too_many_arguments)]
fn new_row(
    state: &Context,
    submission: &NewSubmission,
    meta: &ClientMeta,
    suspicions: &[&'static str],
    reference: &Reference,
    route: &crate::domain::Route,
    consent: crate::desk::consent::Shown,
    now: chrono::NaiveDateTime,
) -> SubmissionRow {
    let quarantined = !suspicions.is_empty();
    let by_mail = meta.channel == crate::domain::Channel::Email;
    let id = uuid::Uuid::now_v7().to_string();
    SubmissionRow {
        id: id.clone(),
        reference: reference.as_str().to_owned(),
        form: submission.form,
        topic: submission.topic,
        queue: route.queue.clone(),
        status: if quarantined {
            Status::Spam
        } else {
            Status::New
        },
        priority: route.priority,
        name: submission.name.as_str().to_owned(),
        email: submission.email.as_str().to_owned(),
        phone: submission.phone.as_ref().map(|p| p.as_str().to_owned()),
        organisation: submission
            .organisation
            .as_ref()
            .map(|o| o.as_str().to_owned()),
        subject: submission.subject.as_ref().map(|s| s.as_str().to_owned()),
        message: submission.message.as_str().to_owned(),
        article_url: submission
            .article_url
            .as_ref()
            .map(|u| u.as_str().to_owned()),
        article_title: submission
            .article_title
            .as_ref()
            .map(|t| t.as_str().to_owned()),
        locale: submission.locale,
        // A reader who wrote to us was asked nothing: no consent, no version, no text shown.
        consent: !by_mail,
        consent_version: if by_mail {
            String::new()
        } else {
            consent.version
        },
        consent_at: now,
        marketing_opt_in: submission.marketing_opt_in,
        client_ip_hash: meta.ip.map(|ip| keyed_hash(state, &ip.to_string())),
        user_agent: meta
            .user_agent
            .as_ref()
            .map(|ua| ua.chars().filter(|c| !c.is_control()).take(500).collect()),
        assignee_id: None,
        version: 1,
        created_at: now,
        updated_at: now,
        last_activity_at: now,
        last_reader_at: now,
        last_staff_at: None,
        first_response_at: None,
        resolved_at: None,
        deadline_at: route.deadline,
        spam_reason: quarantined.then(|| suspicions.join(",")),
        flags: crate::desk::screening::flags(submission).join(","),
        desk: submission.form.desk(),
        channel: meta.channel,
        article_published_at: submission.article_published_at,
        outcome_kind: None,
        legal_hold: false,
        outcome: None,
        consent_text_sha256: (!by_mail).then_some(consent.sha256),
    }
}

/// A keyed hash: the same text gives the same value (for abuse limits), but the text cannot be
/// recovered without the key (`privacy.ip_hash_key`). Client IPs and the acknowledgements'
/// mailboxes are stored only so.
fn keyed_hash(state: &Context, text: &str) -> String {
    let key = state.settings.privacy.ip_hash_key.expose_secret();
    crate::desk::auth::keyed_hash(key.as_bytes(), text)
}

/// The reader's acknowledgement with its caps: it is written only under the caps per mailbox
/// (plus tags and, where the provider ignores them, dots folded) and per domain; past them the
/// submission is stored and notified as ever, and an `ack_skipped` event says which cap.
fn capped(
    state: &Context,
    submission: &NewSubmission,
    mail: NewOutboxRow,
    now: chrono::NaiveDateTime,
) -> Ack {
    let limits = &state.settings.limits;
    // The domain counted is the mailbox's own, so one provider under two names (googlemail.com
    // and gmail.com) meets one cap, not two.
    let mailbox = submission.email.mailbox();
    let domain = mailbox.rsplit_once('@').map_or("", |(_, domain)| domain);
    let submission_id = mail.submission_id.clone();
    Ack {
        mail,
        log: AckRow {
            mailbox: keyed_hash(state, &mailbox),
            domain: keyed_hash(state, domain),
            created_at: now,
        },
        caps: AckCaps {
            per_mailbox: i64::from(limits.ack_per_mailbox_per_day),
            mailbox_since: now - chrono::Duration::days(1),
            per_domain: i64::from(limits.ack_per_domain_per_hour),
            domain_since: now - chrono::Duration::hours(1),
        },
        // Its detail, which cap was met, is filled in by the write that meets it.
        skipped: NewEvent::new(
            submission_id.as_deref(),
            "reader",
            EventKind::AckSkipped,
            &serde_json::Value::Null,
            now,
        ),
    }
}
