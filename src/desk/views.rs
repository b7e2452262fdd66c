//! What the use cases hand to the ways in (API, console, command line): the desk's own read
//! types, each built from its storage row in one place here. A page or an answer is bound to
//! these, never to a table: a column can move without a template noticing, and what staff must
//! never see (a password's hash, a client's hashed address) is not here to leak.

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::Value;

use crate::db;
use crate::domain::{
    Channel, Desk, EventKind, FormKind, Locale, MailPurpose, MailStatus, Priority, QueueName, Role,
    Status, Topic,
};

/// A submission, as staff read it.
#[derive(Debug, Clone)]
pub struct Submission {
    pub id: String,
    pub reference: String,
    pub form: FormKind,
    pub topic: Topic,
    pub queue: QueueName,
    pub desk: Desk,
    pub channel: Channel,
    pub status: Status,
    pub priority: Priority,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub organisation: Option<String>,
    pub subject: Option<String>,
    pub message: String,
    pub article_url: Option<String>,
    pub article_title: Option<String>,
    pub article_published_at: Option<NaiveDate>,
    pub locale: Locale,
    pub consent: bool,
    pub consent_version: String,
    pub consent_at: NaiveDateTime,
    /// The SHA-256 of the consent text shown (version `consent_version`, the reader's language).
    pub consent_text_sha256: Option<String>,
    pub marketing_opt_in: bool,
    pub assignee_id: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub first_response_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub deadline_at: Option<NaiveDateTime>,
    /// Why it was quarantined as suspected spam; `None` when it was not.
    pub spam_reason: Option<String>,
    /// What staff should know about the text, comma-separated (e.g. `bidi`).
    pub flags: String,
    /// How a right of reply or a correction was closed, as JSON.
    pub outcome: Option<String>,
    pub legal_hold: bool,
    /// The last activity on it (the triage list's order).
    pub last_activity_at: NaiveDateTime,
}

impl From<db::submissions::SubmissionRow> for Submission {
    fn from(s: db::submissions::SubmissionRow) -> Self {
        Submission {
            id: s.id,
            reference: s.reference,
            form: s.form,
            topic: s.topic,
            queue: s.queue,
            desk: s.desk,
            channel: s.channel,
            status: s.status,
            priority: s.priority,
            name: s.name,
            email: s.email,
            phone: s.phone,
            organisation: s.organisation,
            subject: s.subject,
            message: s.message,
            article_url: s.article_url,
            article_title: s.article_title,
            article_published_at: s.article_published_at,
            locale: s.locale,
            consent: s.consent,
            consent_version: s.consent_version,
            consent_at: s.consent_at,
            consent_text_sha256: s.consent_text_sha256,
            marketing_opt_in: s.marketing_opt_in,
            assignee_id: s.assignee_id,
            version: s.version,
            created_at: s.created_at,
            updated_at: s.updated_at,
            first_response_at: s.first_response_at,
            resolved_at: s.resolved_at,
            deadline_at: s.deadline_at,
            spam_reason: s.spam_reason,
            flags: s.flags,
            outcome: s.outcome,
            legal_hold: s.legal_hold,
            last_activity_at: s.last_activity_at,
        }
    }
}

/// A submission as one line of a list.
#[derive(Debug, Clone)]
pub struct SubmissionSummary {
    pub id: String,
    pub reference: String,
    pub form: FormKind,
    pub topic: Topic,
    pub queue: QueueName,
    pub status: Status,
    pub priority: Priority,
    pub name: String,
    pub email: String,
    pub subject: Option<String>,
    pub assignee_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deadline_at: Option<NaiveDateTime>,
    pub channel: Channel,
    pub last_activity_at: NaiveDateTime,
    /// Activity since the caller last opened it (never, for one they never opened); what the
    /// caller did themselves counts as seen.
    pub unread: bool,
}

impl SubmissionSummary {
    /// A line of the list, with when the caller last opened it.
    pub(crate) fn new(s: db::triage::SubmissionSummary, seen: Option<NaiveDateTime>) -> Self {
        SubmissionSummary {
            unread: seen.is_none_or(|seen| seen < s.last_activity_at),
            last_activity_at: s.last_activity_at,
            id: s.id,
            reference: s.reference,
            form: s.form,
            topic: s.topic,
            queue: s.queue,
            status: s.status,
            priority: s.priority,
            name: s.name,
            email: s.email,
            subject: s.subject,
            assignee_id: s.assignee_id,
            created_at: s.created_at,
            updated_at: s.updated_at,
            deadline_at: s.deadline_at,
            channel: s.channel,
        }
    }
}

/// The submission the caller has open: read, by definition.
impl From<&Submission> for SubmissionSummary {
    fn from(s: &Submission) -> Self {
        SubmissionSummary {
            id: s.id.clone(),
            reference: s.reference.clone(),
            form: s.form,
            topic: s.topic,
            queue: s.queue.clone(),
            status: s.status,
            priority: s.priority,
            name: s.name.clone(),
            email: s.email.clone(),
            subject: s.subject.clone(),
            assignee_id: s.assignee_id.clone(),
            created_at: s.created_at,
            updated_at: s.updated_at,
            deadline_at: s.deadline_at,
            channel: s.channel,
            last_activity_at: s.last_activity_at,
            unread: false,
        }
    }
}

/// An internal note.
#[derive(Debug, Clone)]
pub struct Note {
    pub id: String,
    pub author_id: String,
    pub body: String,
    pub created_at: NaiveDateTime,
}

impl From<db::notes::NoteRow> for Note {
    fn from(n: db::notes::NoteRow) -> Self {
        Note {
            id: n.id,
            author_id: n.author_id,
            body: n.body,
            created_at: n.created_at,
        }
    }
}

/// One message of the conversation with the reader: a staff reply (`outbound`) or the reader's
/// answer (`inbound`).
#[derive(Debug, Clone)]
pub struct Message {
    pub id: String,
    pub direction: String,
    pub author_id: Option<String>,
    pub outbox_id: Option<String>,
    pub message_id: String,
    pub subject: String,
    pub body: String,
    pub created_at: NaiveDateTime,
}

impl Message {
    /// Written by staff (as opposed to the reader's answer).
    pub fn is_staff_reply(&self) -> bool {
        self.direction == "outbound"
    }
}

impl From<db::messages::MessageRow> for Message {
    fn from(m: db::messages::MessageRow) -> Self {
        Message {
            id: m.id,
            direction: m.direction,
            author_id: m.author_id,
            outbox_id: m.outbox_id,
            message_id: m.message_id,
            subject: m.subject,
            body: m.body,
            created_at: m.created_at,
        }
    }
}

/// A change of one field, as `changed` events record it: the field, and the values before and
/// after (ids of accounts stay ids; the reader of the event names them).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub field: String,
    pub from: Value,
    pub to: Value,
}

/// An entry of the audit log. Its details are read here, once: a change's field and values are
/// in `change`, and every kind's details stay in `detail` as recorded.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: String,
    pub actor: String,
    pub kind: EventKind,
    pub detail: Value,
    pub change: Option<Change>,
    pub created_at: NaiveDateTime,
}

impl From<db::events::EventRow> for Event {
    fn from(e: db::events::EventRow) -> Self {
        // A detail that is not JSON (none is written so) reads as no detail.
        let detail: Value = serde_json::from_str(&e.detail).unwrap_or_default();
        // `changed` and `legal_hold` events say which field moved, and from what to what.
        let change = detail["field"].as_str().map(|field| Change {
            field: field.to_owned(),
            from: detail["from"].clone(),
            to: detail["to"].clone(),
        });
        Event {
            id: e.id,
            actor: e.actor,
            kind: e.kind,
            detail,
            change,
            created_at: e.created_at,
        }
    }
}

/// An e-mail about the submission, and how its sending went.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    pub purpose: MailPurpose,
    pub status: MailStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub message_id: String,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub from_addr: String,
    pub recipients: String,
    pub bounce_status: Option<String>,
    pub bounce_diagnostic: Option<String>,
    pub held_reason: Option<String>,
}

impl From<db::triage::Delivery> for Delivery {
    fn from(d: db::triage::Delivery) -> Self {
        Delivery {
            id: d.id,
            purpose: d.purpose,
            status: d.status,
            attempts: d.attempts,
            last_error: d.last_error,
            message_id: d.message_id,
            created_at: d.created_at,
            sent_at: d.sent_at,
            from_addr: d.from_addr,
            recipients: d.recipients,
            bounce_status: d.bounce_status,
            bounce_diagnostic: d.bounce_diagnostic,
            held_reason: d.held_reason,
        }
    }
}

/// An e-mail that came in on the submission (without its raw bytes).
#[derive(Debug, Clone)]
pub struct Inbound {
    pub id: String,
    pub message_id: Option<String>,
    pub sender: String,
    pub recipients: String,
    pub subject: String,
    pub full_text: String,
    pub body: String,
    pub attachments: String,
    pub outcome: String,
    pub reason: Option<String>,
    pub created_at: NaiveDateTime,
}

impl From<db::inbound_mail::InboundSummary> for Inbound {
    fn from(m: db::inbound_mail::InboundSummary) -> Self {
        Inbound {
            id: m.id,
            message_id: m.message_id,
            sender: m.sender,
            recipients: m.recipients,
            subject: m.subject,
            full_text: m.full_text,
            body: m.body,
            attachments: m.attachments,
            outcome: m.outcome,
            reason: m.reason,
            created_at: m.created_at,
        }
    }
}

/// Everything staff see about one submission.
#[derive(Debug, Clone)]
pub struct Record {
    pub submission: Submission,
    pub notes: Vec<Note>,
    pub replies: Vec<Message>,
    pub events: Vec<Event>,
    pub deliveries: Vec<Delivery>,
    pub inbound: Vec<Inbound>,
    /// When the reader withdrew the marketing opt-in, if they did.
    pub marketing_withdrawn_at: Option<NaiveDateTime>,
    /// The same reader's other submissions on the caller's desks (filled when opened).
    pub reader_history: Vec<ReaderSubmission>,
}

/// One of the reader's other submissions.
#[derive(Debug, Clone)]
pub struct ReaderSubmission {
    pub id: String,
    pub reference: String,
    pub topic: Topic,
    pub subject: Option<String>,
    pub status: Status,
    pub created_at: NaiveDateTime,
}

impl From<db::submissions::HistoryRow> for ReaderSubmission {
    fn from(r: db::submissions::HistoryRow) -> Self {
        ReaderSubmission {
            id: r.id,
            reference: r.reference,
            topic: r.topic,
            subject: r.subject,
            status: r.status,
            created_at: r.created_at,
        }
    }
}

impl From<db::triage::Record> for Record {
    fn from(r: db::triage::Record) -> Self {
        fn all<R, V: From<R>>(rows: Vec<R>) -> Vec<V> {
            rows.into_iter().map(V::from).collect()
        }
        Record {
            submission: r.submission.into(),
            notes: all(r.notes),
            replies: all(r.replies),
            events: all(r.events),
            deliveries: all(r.deliveries),
            inbound: all(r.inbound),
            marketing_withdrawn_at: r.marketing_withdrawn_at,
            reader_history: Vec::new(),
        }
    }
}

/// A staff account, as colleagues and admins see it: never its password's hash.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The console's language for this account; `None` follows the browser.
    pub locale: Option<Locale>,
    /// No password yet: the account waits for its invitation's link to be used.
    pub invitation_pending: bool,
}

impl From<db::staff::UserRow> for Account {
    fn from(u: db::staff::UserRow) -> Self {
        Account {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            role: u.role,
            active: u.active,
            created_at: u.created_at,
            updated_at: u.updated_at,
            invitation_pending: u.password_hash == db::invitations::NO_PASSWORD,
            locale: u.locale,
        }
    }
}

/// A published correction.
#[derive(Debug, Clone)]
pub struct Correction {
    pub id: String,
    /// The request that led to it; emptied when that request is purged or erased.
    pub submission_id: Option<String>,
    pub article_url: String,
    pub text: String,
    pub public: bool,
    pub published_at: NaiveDateTime,
    /// When it was last changed or unpublished; `None` until then.
    pub updated_at: Option<NaiveDateTime>,
    pub desk: Desk,
}

impl Correction {
    /// When it last changed: its publication until staff change it.
    pub fn last_changed(&self) -> NaiveDateTime {
        self.updated_at.unwrap_or(self.published_at)
    }
}

impl From<db::corrections::CorrectionRow> for Correction {
    fn from(c: db::corrections::CorrectionRow) -> Self {
        Correction {
            id: c.id,
            submission_id: c.submission_id,
            article_url: c.article_url,
            text: c.text,
            public: c.public,
            published_at: c.published_at,
            updated_at: c.updated_at,
            desk: c.desk,
        }
    }
}
