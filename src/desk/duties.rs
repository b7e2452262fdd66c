//! The newsroom's duties that run by the clock: each right of reply's escalations (at receipt,
//! when `duties.right_of_reply.warn_before_hours` remain, at breach) to the publication director
//! and the assignee, each written once whatever the number of instances.

use std::sync::OnceLock;

use crate::config::Settings;
use crate::db::duties::{self as store, DueReminder, Reminder};
use crate::db::outbox::NewOutboxRow;
use crate::db::{self, DbError};
use crate::desk::outgoing::{About, Colleague, ComposeError, Composer};
use crate::desk::Context;
use crate::domain::duties::OUT_OF_TIME;
use crate::domain::Status;
use crate::mail::{Escalation, EscalationFacts};

#[derive(Debug, thiserror::Error)]
pub enum DutyError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Compose(#[from] ComposeError),
}

/// The scheduler's lease: one instance looks for due escalations at a time (each escalation is
/// also written at most once, by its own row, should two ever overlap).
const LEASE: &str = "duties.escalations";
const LEASE_MILLIS: i64 = 5 * 60 * 1000;
/// Escalations written per kind and pass.
const BATCH: i64 = 200;

/// This process's name as a lease holder.
pub fn instance_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| uuid::Uuid::now_v7().to_string())
}

/// One pass of the scheduler: writes every escalation now due (by the database's clock) to the
/// outbox, if this instance holds the lease. Returns how many it wrote.
pub async fn escalate_due(ctx: &Context) -> Result<usize, DutyError> {
    let settings = ctx.settings.clone();
    let outgoing = ctx.outgoing.clone();
    let written = db::run(&ctx.pool, move |conn| {
        if !db::leases::take(conn, LEASE, instance_id(), LEASE_MILLIS)? {
            return Ok(Ok(0));
        }
        let result = escalate_all(conn, &settings, &outgoing);
        db::leases::release(conn, LEASE, instance_id())?;
        Ok(result)
    })
    .await??;
    if written > 0 {
        ctx.outbox_wakeup.notify_one();
    }
    Ok(written)
}

fn escalate_all(
    conn: &mut db::DbConnection,
    settings: &Settings,
    outgoing: &Composer,
) -> Result<usize, DutyError> {
    let rules = &settings.duties.right_of_reply;
    let warn_before = chrono::Duration::hours(i64::from(rules.warn_before_hours));
    let mut written = 0;
    for reminder in Reminder::ALL {
        loop {
            let now = store::clock(conn)?;
            let due = store::due(conn, reminder, now, warn_before, BATCH)?;
            let mut this_batch = 0;
            for d in &due {
                let Some(mail) = escalation_mail(settings, outgoing, reminder, d)? else {
                    continue;
                };
                if store::record(conn, &d.submission_id, reminder, &mail)? {
                    this_batch += 1;
                }
            }
            written += this_batch;
            if due.len() < usize::try_from(BATCH).unwrap_or(usize::MAX) || this_batch == 0 {
                break;
            }
        }
    }
    Ok(written)
}

/// The escalation's e-mail, composed by `outgoing`: to the director, and to the assignee
/// only while they may be told of the submission.
fn escalation_mail(
    settings: &Settings,
    outgoing: &Composer,
    reminder: Reminder,
    d: &DueReminder,
) -> Result<Option<NewOutboxRow>, DutyError> {
    let rules = &settings.duties.right_of_reply;
    let which = match reminder {
        Reminder::Receipt => Escalation::Receipt,
        Reminder::Warning => Escalation::Warning {
            hours: rules.warn_before_hours,
        },
        Reminder::Breach => Escalation::Breach,
    };
    let facts = EscalationFacts {
        reference: &d.reference,
        received_at: d.created_at,
        deadline_at: d.deadline_at.unwrap_or(d.created_at),
        article_url: d.article_url.as_deref(),
        out_of_time: d.flags.split(',').any(|f| f == OUT_OF_TIME),
    };
    let assignee = match (&d.assignee_email, d.assignee_role, d.assignee_active) {
        (Some(email), Some(role), Some(active)) => Some(Colleague {
            email: email.clone(),
            role,
            active,
        }),
        _ => None,
    };
    // Escalations are the editorial desk's, and never about a reader's own identity: the
    // composer needs only the submission's place and state.
    let about = About {
        id: &d.submission_id,
        reference: &d.reference,
        queue: d.queue.as_str(),
        desk: d.desk,
        held: d.status == Status::Spam,
        locale: settings.mail.team_locale,
        name: "",
        email: "",
    };
    Ok(outgoing.escalate(about, which, &facts, assignee.as_ref(), db::now())?)
}

/// Runs the scheduler every `duties.scheduler_interval_seconds` until the task is dropped.
pub async fn run_scheduler(ctx: &Context) {
    let every = std::time::Duration::from_secs(ctx.settings.duties.scheduler_interval_seconds);
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        if let Err(e) = escalate_due(ctx).await {
            tracing::warn!(error = %e, "right-of-reply escalations not written this time");
        }
    }
}
