//! The one place that composes outgoing mail. Use cases say what happened (tell the team, tell
//! the assignee, acknowledge the reader, reply, escalate, tell the outcome); this module renders
//! it and turns it into outbox rows, applying the rules that protect people:
//! - nobody is told of a submission who cannot see it now or is disabled
//!   (`domain::may_hear_of`; the outbox worker asks the same rule again when it sends);
//! - held spam sends nothing, to anyone, until staff release it;
//! - every e-mail to a reader comes from its queue's address, carries the signed reply address
//!   (with `mail.reply_key`) and threads under the acknowledgement when one was sent; a
//!   commercial one carries the opt-out link.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDateTime;
use lettre::message::Mailbox;

use crate::config::{QueueSettings, Settings};
use crate::db::outbox::NewOutboxRow;
use crate::db::submissions::SubmissionRow;
use crate::domain::may_hear_of;
use crate::domain::{Desk, Locale, MailPurpose, MailStatus, Outcome, Role, Status};
use crate::mail::reply_token::ReplyKey;
use crate::mail::{self, Escalation, EscalationFacts, Facts, Rendered};

mod invitation;
pub use invitation::{Invitee, INVITATION_HOURS};

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("e-mail template failed")]
    Render(#[from] askama::Error),
    #[error("configuration: {0}")]
    Config(String),
}

/// The submission an e-mail is about, as composing needs it.
#[derive(Debug, Clone, Copy)]
pub struct About<'a> {
    pub id: &'a str,
    pub reference: &'a str,
    pub queue: &'a str,
    pub desk: Desk,
    /// Quarantined as suspected spam: nothing leaves for it.
    pub held: bool,
    pub locale: Locale,
    pub name: &'a str,
    pub email: &'a str,
}

impl<'a> From<&'a SubmissionRow> for About<'a> {
    fn from(s: &'a SubmissionRow) -> Self {
        About {
            id: &s.id,
            reference: &s.reference,
            queue: s.queue.as_str(),
            desk: s.desk,
            held: s.status == Status::Spam,
            locale: s.locale,
            name: &s.name,
            email: &s.email,
        }
    }
}

/// A staff account that might be told of a submission: its address, role and state, read
/// fresh by the use case when it composes.
#[derive(Debug, Clone)]
pub struct Colleague {
    pub email: String,
    pub role: Role,
    pub active: bool,
}

/// Composes the outbox rows; cheap to clone, shared by every use case.
#[derive(Clone)]
pub struct Composer(Arc<Inner>);

struct Inner {
    settings: Arc<Settings>,
    /// `mail.from`: the team's notices and escalations come from it.
    sender: Mailbox,
    /// Each queue's own address: what readers are written from and answer to.
    queue_senders: BTreeMap<String, Mailbox>,
    reply_key: Option<ReplyKey>,
    optout_key: ReplyKey,
}

impl Composer {
    pub fn new(
        settings: Arc<Settings>,
        sender: Mailbox,
        queue_senders: BTreeMap<String, Mailbox>,
    ) -> Composer {
        let reply_key = settings
            .mail
            .reply_key
            .as_ref()
            .map(|k| ReplyKey::new(secrecy::ExposeSecret::expose_secret(k)));
        let optout_key = ReplyKey::new(secrecy::ExposeSecret::expose_secret(
            settings
                .mail
                .reply_key
                .as_ref()
                .unwrap_or(&settings.privacy.ip_hash_key),
        ));
        Composer(Arc::new(Inner {
            settings,
            sender,
            queue_senders,
            reply_key,
            optout_key,
        }))
    }

    fn settings(&self) -> &Settings {
        &self.0.settings
    }

    /// Who a queue's mail to readers comes from: its own address, else `mail.from`.
    pub fn sender_for(&self, queue: &str) -> &Mailbox {
        self.0.queue_senders.get(queue).unwrap_or(&self.0.sender)
    }

    /// The `Reply-To` of mail to the reader of a submission in `queue`: the queue's address
    /// with the submission's signed token; `None` without a queue address or a key.
    pub fn reply_to(&self, queue: &str, reference: &str) -> Option<String> {
        let address = self.0.queue_senders.get(queue)?;
        self.0
            .reply_key
            .as_ref()?
            .reply_address(address, reference)
            .map(|m| m.to_string())
    }

    /// The key the opt-out links are signed with (`mail.reply_key`, else the IP hash key).
    pub fn optout_key(&self) -> &ReplyKey {
        &self.0.optout_key
    }

    /// The signed opt-out link of a commercial submission, valid `privacy.optout_link_days`
    /// from `now`.
    pub fn optout_link(&self, reference: &str, now: NaiveDateTime) -> String {
        let settings = self.settings();
        let days = i64::from(settings.privacy.optout_link_days);
        let expires = (now + chrono::Duration::days(days)).date();
        let token = self.0.optout_key.optout_token(reference, expires);
        format!(
            "{}/v1/optout/{token}",
            settings.site.public_url.trim_end_matches('/')
        )
    }

    fn queue(&self, name: &str) -> Result<&QueueSettings, ComposeError> {
        self.settings()
            .queues
            .get(name)
            .ok_or_else(|| ComposeError::Config(format!("queue {name} is not configured")))
    }

    /// The queue's team addresses.
    fn team(&self, queue: &str) -> Result<String, ComposeError> {
        Ok(self.queue(queue)?.notify.join(", "))
    }

    /// Tells the queue's team of a submission, answerable to the reader. Nothing for held spam.
    pub fn tell_team(
        &self,
        about: About<'_>,
        facts: &Facts<'_>,
        now: NaiveDateTime,
    ) -> Result<Option<NewOutboxRow>, ComposeError> {
        if about.held {
            return Ok(None);
        }
        let queue = self.queue(about.queue)?;
        let rendered = mail::team_notification(
            facts,
            about.reference,
            &queue.label,
            self.settings().mail.team_locale,
        )?;
        let mut row = self.to_staff(
            about,
            MailPurpose::TeamNotification,
            queue.notify.join(", "),
            rendered,
            now,
        );
        row.reply_to = Some(mailbox(about.name, about.email));
        Ok(Some(row))
    }

    /// Tells whoever looks after a submission that its reader wrote back: the assignee when
    /// they may still be told of it, otherwise the queue's team; threaded under the team's
    /// first notice (`parent`). Nothing for held spam: the mail is kept on it, unannounced.
    pub fn tell_assignee(
        &self,
        about: About<'_>,
        assignee: Option<&Colleague>,
        rendered: Rendered,
        parent: Option<String>,
        now: NaiveDateTime,
    ) -> Result<Option<NewOutboxRow>, ComposeError> {
        if about.held {
            return Ok(None);
        }
        let recipients = match assignee.filter(|a| may_hear_of(a.role, a.active, about.desk)) {
            Some(a) => a.email.clone(),
            None => self.team(about.queue)?,
        };
        let mut row = self.to_staff(about, MailPurpose::ReplyNotice, recipients, rendered, now);
        row.reply_to = Some(mailbox(about.name, about.email));
        row.in_reply_to = parent;
        Ok(Some(row))
    }

    /// A right of reply's escalation: to the publication director (`duties.right_of_reply.
    /// escalate_to`) and to the assignee while they may be told of it. Nothing for held spam.
    pub fn escalate(
        &self,
        about: About<'_>,
        which: Escalation,
        facts: &EscalationFacts<'_>,
        assignee: Option<&Colleague>,
        now: NaiveDateTime,
    ) -> Result<Option<NewOutboxRow>, ComposeError> {
        if about.held {
            return Ok(None);
        }
        let settings = self.settings();
        let rendered = mail::escalation(
            which,
            facts,
            settings.mail.team_locale,
            settings.site.timezone,
            &settings.site.name,
        )?;
        let mut to = settings.duties.right_of_reply.escalate_to.clone();
        if let Some(a) = assignee.filter(|a| may_hear_of(a.role, a.active, about.desk)) {
            if !to.iter().any(|t| t.eq_ignore_ascii_case(&a.email)) {
                to.push(a.email.clone());
            }
        }
        Ok(Some(self.to_staff(
            about,
            MailPurpose::DutyReminder,
            to.join(", "),
            rendered,
            now,
        )))
    }

    /// The reader's acknowledgement: the reference and nothing else they wrote (not even
    /// their name, in the greeting or the `To` header), so that the form cannot carry chosen
    /// text to a chosen address. Nothing for held spam.
    pub fn acknowledge(
        &self,
        about: About<'_>,
        now: NaiveDateTime,
    ) -> Result<Option<NewOutboxRow>, ComposeError> {
        if about.held {
            return Ok(None);
        }
        let rendered = mail::reader_ack(about.locale, about.reference, &self.settings().site.name)?;
        Ok(Some(self.to_reader(
            about,
            MailPurpose::ReaderAck,
            about.email.to_owned(),
            rendered,
            None,
            now,
        )))
    }

    /// A staff reply to the reader, with the reference in the subject, threaded under the
    /// acknowledgement (`parent`). Staff may write even on held spam: that is their act.
    pub fn reply(
        &self,
        about: About<'_>,
        subject: &str,
        body: &str,
        parent: Option<String>,
        now: NaiveDateTime,
    ) -> Result<NewOutboxRow, ComposeError> {
        let rendered = mail::staff_reply(body, subject, about.locale)?;
        let to = mailbox(about.name, about.email);
        Ok(self.to_reader(about, MailPurpose::StaffReply, to, rendered, parent, now))
    }

    /// How a right of reply was closed, told to the one who asked, answerable and threaded
    /// under the acknowledgement (`parent`); `None` for outcomes told to no one in particular
    /// (a correction is published for all).
    pub fn outcome(
        &self,
        about: About<'_>,
        outcome: &Outcome,
        parent: Option<String>,
        now: NaiveDateTime,
    ) -> Result<Option<NewOutboxRow>, ComposeError> {
        if matches!(outcome, Outcome::Corrected { .. }) {
            return Ok(None);
        }
        let rendered = mail::reply_outcome(
            outcome,
            about.reference,
            about.locale,
            &self.settings().site.name,
        )?;
        Ok(Some(self.to_reader(
            about,
            MailPurpose::ReaderOutcome,
            about.email.to_owned(),
            rendered,
            parent,
            now,
        )))
    }

    /// A row to staff, from `mail.from`.
    fn to_staff(
        &self,
        about: About<'_>,
        purpose: MailPurpose,
        recipients: String,
        rendered: Rendered,
        now: NaiveDateTime,
    ) -> NewOutboxRow {
        row(&self.0.sender, about.id, purpose, recipients, rendered, now)
    }

    /// A row to the reader: from the queue's address, answerable through the signed reply
    /// address, threaded under `parent`, and with the opt-out link when commercial.
    fn to_reader(
        &self,
        about: About<'_>,
        purpose: MailPurpose,
        recipients: String,
        rendered: Rendered,
        parent: Option<String>,
        now: NaiveDateTime,
    ) -> NewOutboxRow {
        let optout =
            (about.desk == Desk::Commercial).then(|| self.optout_link(about.reference, now));
        let rendered = match &optout {
            Some(url) => mail::with_optout(rendered, url, about.locale),
            None => rendered,
        };
        let sender = self.sender_for(about.queue);
        let mut row = row(sender, about.id, purpose, recipients, rendered, now);
        row.reply_to = self.reply_to(about.queue, about.reference);
        row.in_reply_to = parent;
        row.list_unsubscribe = optout;
        row
    }
}

fn row(
    from: &Mailbox,
    submission_id: &str,
    purpose: MailPurpose,
    recipients: String,
    rendered: Rendered,
    now: NaiveDateTime,
) -> NewOutboxRow {
    NewOutboxRow {
        id: uuid::Uuid::now_v7().to_string(),
        submission_id: Some(submission_id.to_owned()),
        purpose,
        from_addr: from.to_string(),
        recipients,
        reply_to: None,
        subject: rendered.subject,
        body_text: rendered.text,
        body_html: rendered.html,
        message_id: mail::new_message_id(from),
        in_reply_to: None,
        list_unsubscribe: None,
        status: MailStatus::Pending,
        attempts: 0,
        next_attempt_at: now,
        created_at: now,
    }
}

/// `"Name" <address>`, quoted by lettre so any name is safe in a header.
fn mailbox(name: &str, email: &str) -> String {
    match email.parse::<lettre::Address>() {
        Ok(addr) => Mailbox::new(Some(name.to_owned()), addr).to_string(),
        Err(_) => email.to_owned(),
    }
}
