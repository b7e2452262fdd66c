//! Moving submissions between desks and queues, only ever where source protection allows: an
//! editor hands a sales enquiry sent to the newsroom over to the commercial desk (as a new
//! submission carrying only what the reader wrote), an operator moves a queue's rows to another
//! queue of their own desk, and start-up refuses a configuration that would show a desk's rows
//! to the other one.

use crate::domain::EventKind;
use serde_json::json;

use super::outgoing::About;
use super::triage::TriageError;
use super::Caller;
use super::{Context, DbError};
use crate::config::Settings;
use crate::db::events::NewEvent;
use crate::db::handovers::{self as store, HandoverRow};
use crate::db::submissions::SubmissionRow;
use crate::db::{self, Pool};
use crate::domain::{Desk, FormKind, QueueName, Reference, Status, Topic};
use crate::mail::Facts;

/// Why a hand-over did not happen, besides the triage errors.
#[derive(Debug, thiserror::Error)]
pub enum HandoverError {
    #[error(transparent)]
    Triage(#[from] TriageError),
    /// Only an editorial submission can be handed over.
    #[error("not an editorial submission")]
    NotEditorial,
    #[error("already handed over")]
    AlreadyHandedOver,
}

impl From<DbError> for HandoverError {
    fn from(e: DbError) -> Self {
        HandoverError::Triage(e.into())
    }
}

fn audit(submission_id: &str, actor: &str, kind: EventKind, detail: serde_json::Value) -> NewEvent {
    NewEvent::new(Some(submission_id), actor, kind, &detail, db::now())
}

/// Hands an editorial submission over to the commercial desk: a new commercial submission,
/// routed as a sales enquiry, with the reader's contact details and message only (no notes,
/// replies or events), notified to its team, linked to the original and audited on both. The
/// original stays editorial. Returns the new submission.
pub async fn hand_over(
    ctx: &Context,
    who: &Caller,
    key: &str,
) -> Result<SubmissionRow, HandoverError> {
    let original = super::triage::row(ctx, who, key).await?;
    if original.desk != Desk::Editorial {
        return Err(HandoverError::NotEditorial);
    }
    let now = db::now();
    let route = ctx.router.route(FormKind::Sales, Topic::Other, now);
    let copy = SubmissionRow {
        id: uuid::Uuid::now_v7().to_string(),
        reference: Reference::generate().as_str().to_owned(),
        form: FormKind::Sales,
        topic: Topic::Other,
        queue: route.queue,
        status: Status::New,
        priority: route.priority,
        name: original.name.clone(),
        email: original.email.clone(),
        phone: original.phone.clone(),
        organisation: original.organisation.clone(),
        subject: original.subject.clone(),
        message: original.message.clone(),
        article_url: None,
        article_title: None,
        locale: original.locale,
        consent: original.consent,
        consent_version: original.consent_version.clone(),
        consent_at: original.consent_at,
        marketing_opt_in: false,
        client_ip_hash: None,
        user_agent: None,
        assignee_id: None,
        version: 1,
        created_at: now,
        updated_at: now,
        // The reader's request, new on the commercial desk.
        last_activity_at: now,
        last_reader_at: now,
        last_staff_at: None,
        first_response_at: None,
        resolved_at: None,
        deadline_at: route.deadline,
        spam_reason: None,
        // The editorial request's flags (a right of reply's lateness, its warnings) are its
        // own: the sales copy starts with none.
        flags: String::new(),
        desk: Desk::Commercial,
        article_published_at: None,
        outcome_kind: None,
        legal_hold: false,
        outcome: None,
        consent_text_sha256: original.consent_text_sha256.clone(),
        channel: original.channel,
    };
    let notification: Vec<_> = ctx
        .outgoing
        .tell_team(About::from(&copy), &Facts::from(&copy), now)
        .map_err(|e| TriageError::Internal(e.to_string()))?
        .into_iter()
        .collect();
    let events = vec![
        audit(
            &original.id,
            &who.id,
            EventKind::HandedOver,
            json!({"to": copy.reference, "queue": copy.queue.as_str()}),
        ),
        // The commercial side learns where it came from, never which editorial submission.
        audit(
            &copy.id,
            &who.id,
            EventKind::ReceivedByHandover,
            json!({"from_desk": Desk::Editorial.as_str()}),
        ),
    ];
    let link = HandoverRow {
        editorial_id: original.id.clone(),
        commercial_id: copy.id.clone(),
        actor: who.id.clone(),
        created_at: now,
    };
    let stored = copy.clone();
    let written = db::run(&ctx.pool, move |conn| {
        Ok(db::transaction(conn, |conn| {
            if store::handed_over_as(conn, &link.editorial_id)?.is_some() {
                return Ok(false);
            }
            store::hand_over(conn, &stored, &notification, &events, &link)?;
            db::activity::touch(
                conn,
                &link.editorial_id,
                db::activity::Actor::Staff(&link.actor),
                link.created_at,
            )?;
            Ok::<_, DbError>(true)
        }))
    })
    .await?;
    match written {
        Ok(true) => {
            ctx.outbox_wakeup.notify_one();
            Ok(copy)
        }
        Ok(false) => Err(HandoverError::AlreadyHandedOver),
        // Two hand-overs at once: the link's key lets one through.
        Err(DbError::UniqueViolation(_)) => Err(HandoverError::AlreadyHandedOver),
        Err(e) => Err(e.into()),
    }
}

/// Rows sitting in a queue configured for another desk than theirs: (queue, their desk, count).
pub async fn misfiled(
    pool: &Pool,
    settings: &Settings,
) -> Result<Vec<(QueueName, Desk, i64)>, DbError> {
    let counts = db::run(pool, store::by_queue_and_desk).await?;
    Ok(counts
        .into_iter()
        .filter(|(queue, desk, _)| {
            settings
                .queues
                .get(queue.as_str())
                .is_some_and(|q| q.desk != *desk)
        })
        .collect())
}

/// What start-up says when rows sit in a queue configured for the other desk.
pub fn misfiled_report(misfiled: &[(QueueName, Desk, i64)]) -> String {
    misfiled
        .iter()
        .map(|(queue, desk, n)| {
            format!(
                "queue {queue} holds {n} {desk} submission(s) but is configured for another desk: \
                 set queues.{queue}.desk = \"{desk}\" again, or move them to a queue of the \
                 {desk} desk with `courrier queue move --from {queue} --to QUEUE`"
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why a queue move did not happen.
#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    #[error("queue {0} is not configured")]
    UnknownQueue(String),
    #[error("{0} and {1} are the same queue")]
    SameQueue(String, String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What a queue move did: how many rows moved, and how many of the other desk stayed.
#[derive(Debug, PartialEq, Eq)]
pub struct Moved {
    pub moved: usize,
    pub desk: Desk,
    pub stayed: i64,
}

/// Moves the rows of `from` that belong to `to`'s desk into `to`, each audited; rows of the
/// other desk stay where they are (they can only go to a queue of their own desk).
pub async fn move_queue(
    pool: &Pool,
    settings: &Settings,
    from: &str,
    to: &str,
    actor: &str,
) -> Result<Moved, MoveError> {
    let known = |name: &str| {
        QueueName::parse(name)
            .ok()
            .filter(|q| settings.queues.contains_key(q.as_str()))
            .ok_or_else(|| MoveError::UnknownQueue(name.to_owned()))
    };
    let target = known(to)?;
    // The source may be a queue no longer configured: its rows still need a home.
    let source = QueueName::parse(from).map_err(|_| MoveError::UnknownQueue(from.to_owned()))?;
    if source == target {
        return Err(MoveError::SameQueue(from.to_owned(), to.to_owned()));
    }
    let desk = settings
        .queues
        .get(target.as_str())
        .map(|q| q.desk)
        .ok_or_else(|| MoveError::UnknownQueue(to.to_owned()))?;
    let actor = actor.to_owned();
    let (from_q, to_q) = (source.clone(), target.clone());
    let moved = db::run(pool, move |conn| {
        db::transaction(conn, |conn| {
            let now = db::now();
            let detail = json!({"field": "queue", "from": from_q.as_str(), "to": to_q.as_str()});
            let moved = store::move_queue(
                conn,
                &from_q,
                &to_q,
                desk,
                |id| audit(id, &actor, EventKind::Changed, detail.clone()),
                now,
            )?;
            let stayed = store::others_in_queue(conn, &from_q, desk)?;
            Ok::<_, DbError>((moved, stayed))
        })
    })
    .await?;
    Ok(Moved {
        moved: moved.0,
        desk,
        stayed: moved.1,
    })
}

/// Where an editorial submission went when it was handed over: the commercial copy's
/// reference, which its editors may read, and whether the caller may open the copy itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandedOverTo {
    pub reference: String,
    pub visible: bool,
}

/// The hand-over of `original` (a submission the caller was just shown), if there was one.
pub async fn handed_over_to(
    ctx: &Context,
    who: &Caller,
    original: &super::views::Submission,
) -> Result<Option<HandedOverTo>, TriageError> {
    if original.desk != Desk::Editorial {
        return Ok(None);
    }
    let editorial_id = original.id.clone();
    let copy = db::run(&ctx.pool, move |conn| {
        match store::handed_over_as(conn, &editorial_id)? {
            Some(id) => crate::db::triage::find(conn, &id, &[Desk::Commercial]),
            None => Ok(None),
        }
    })
    .await?;
    Ok(copy.map(|copy| HandedOverTo {
        reference: copy.reference,
        visible: who.sees(copy.desk),
    }))
}
