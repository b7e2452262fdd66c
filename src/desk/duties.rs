//! The newsroom's duties that run by the clock: each right of reply's escalations (at receipt,
//! when `duties.right_of_reply.warn_before_hours` remain, at breach) to the publication director
//! and the assignee, each written once whatever the number of instances; and the e-mails that
//! close a right of reply.

use std::sync::OnceLock;

use chrono::NaiveDateTime;
use lettre::message::Mailbox;

use crate::config::Settings;
use crate::db::duties::{self as store, DueReminder, Reminder};
use crate::db::outbox::NewOutboxRow;
use crate::db::submissions::SubmissionRow;
use crate::db::{self, DbError};
use crate::desk::Context;
use crate::domain::duties::OUT_OF_TIME;
use crate::domain::{MailPurpose, MailStatus, Outcome};
use crate::mail::{self, Escalation, EscalationFacts, Rendered};

#[derive(Debug, thiserror::Error)]
pub enum DutyError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("e-mail template failed")]
    Render(#[from] askama::Error),
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
    let sender = ctx.sender.clone();
    let written = db::run(&ctx.pool, move |conn| {
        if !db::leases::take(conn, LEASE, instance_id(), LEASE_MILLIS)? {
            return Ok(Ok(0));
        }
        let result = escalate_all(conn, &settings, &sender);
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
    sender: &Mailbox,
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
                let mail = escalation_mail(settings, sender, reminder, d)?;
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

fn escalation_mail(
    settings: &Settings,
    sender: &Mailbox,
    reminder: Reminder,
    d: &DueReminder,
) -> Result<NewOutboxRow, DutyError> {
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
    let rendered = mail::escalation(
        which,
        &facts,
        settings.mail.team_locale,
        &settings.site.name,
    )?;
    let mut to = rules.escalate_to.clone();
    if let Some(assignee) = &d.assignee_email {
        if !to.iter().any(|a| a.eq_ignore_ascii_case(assignee)) {
            to.push(assignee.clone());
        }
    }
    Ok(outbox_row(
        settings,
        sender,
        &d.submission_id,
        MailPurpose::DutyReminder,
        to.join(", "),
        rendered,
        db::now(),
    ))
}

/// The e-mail that tells the one who asked for a reply how it was closed; `None` for outcomes
/// told to no one in particular (a correction is published for all).
pub fn outcome_mail(
    settings: &Settings,
    sender: &Mailbox,
    row: &SubmissionRow,
    outcome: &Outcome,
    now: NaiveDateTime,
) -> Result<Option<NewOutboxRow>, DutyError> {
    if matches!(outcome, Outcome::Corrected { .. }) {
        return Ok(None);
    }
    let rendered = mail::reply_outcome(outcome, &row.reference, row.locale, &settings.site.name)?;
    Ok(Some(outbox_row(
        settings,
        sender,
        &row.id,
        MailPurpose::ReaderOutcome,
        row.email.clone(),
        rendered,
        now,
    )))
}

fn outbox_row(
    settings: &Settings,
    sender: &Mailbox,
    submission_id: &str,
    purpose: MailPurpose,
    recipients: String,
    rendered: Rendered,
    now: NaiveDateTime,
) -> NewOutboxRow {
    NewOutboxRow {
        id: uuid::Uuid::now_v7().to_string(),
        submission_id: submission_id.to_owned(),
        purpose,
        from_addr: settings.mail.from.clone(),
        recipients,
        reply_to: None,
        subject: rendered.subject,
        body_text: rendered.text,
        body_html: rendered.html,
        message_id: mail::new_message_id(sender),
        in_reply_to: None,
        list_unsubscribe: None,
        status: MailStatus::Pending,
        attempts: 0,
        next_attempt_at: now,
        created_at: now,
    }
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
