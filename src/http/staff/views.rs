//! What the staff API answers: one typed body per answer, so the OpenAPI document is derived
//! from the very types the handlers serialise.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

pub use super::values::{DeliveryState, Instant};
use crate::desk::triage::QueueView;
use crate::desk::triage::{Record, SubmissionSummary};
use crate::desk::views;
use crate::domain::{Desk, FormKind, Locale, Priority, Role, Status, Topic};

/// A staff account as the API shows it (never its password hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    #[schema(value_type = Role)]
    pub role: String,
    pub active: bool,
    /// The account has no password yet: it waits for its invitation's link to be used, and
    /// cannot sign in until then.
    pub invitation_pending: bool,
    pub created_at: Instant,
    pub updated_at: Instant,
}

/// An account just opened.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewUser {
    #[serde(flatten)]
    pub user: User,
    /// When the invitation's link stops working; `null` when the account was opened with a
    /// password (no invitation is sent then).
    pub invitation_expires_at: Option<Instant>,
}

/// An invitation queued for sending.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationSent {
    pub user: User,
    /// When the link stops working.
    pub expires_at: Instant,
}

impl From<&views::Account> for User {
    fn from(u: &views::Account) -> Self {
        User {
            id: u.id.clone(),
            email: u.email.clone(),
            name: u.display_name.clone(),
            role: u.role.as_str().to_owned(),
            active: u.active,
            invitation_pending: u.invitation_pending,
            created_at: u.created_at.into(),
            updated_at: u.updated_at.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub users: Vec<User>,
}

/// Who is signed in.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// A new session.
#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    /// Send it back as `Authorization: Bearer <token>`.
    pub token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// When the session ends whatever happens (the absolute timeout).
    pub expires_at: Instant,
    /// The session also ends after this long without a request.
    pub idle_timeout_seconds: u64,
    pub user: Me,
}

/// One line of the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Summary {
    pub id: String,
    /// The reference the reader was given.
    pub reference: String,
    #[schema(value_type = FormKind)]
    pub form: String,
    #[schema(value_type = Topic)]
    pub topic: String,
    pub queue: String,
    #[schema(value_type = Status)]
    pub status: String,
    #[schema(value_type = Priority)]
    pub priority: String,
    pub name: String,
    pub email: String,
    pub subject: Option<String>,
    pub assignee_id: Option<String>,
    pub created_at: Instant,
    pub updated_at: Instant,
    /// When an answer is owed (right of reply).
    pub deadline_at: Option<Instant>,
    /// Past its deadline and still open.
    pub overdue: bool,
    /// `web` (a form post) or `email` (mail to a queue's address).
    #[schema(value_type = crate::domain::Channel)]
    pub channel: String,
    /// The last activity: received, a reader's message, a reply, a note, a status or assignee change.
    pub last_activity_at: Instant,
    /// Activity since the caller last opened it; what the caller did does not count.
    pub unread: bool,
}

impl Summary {
    pub fn new(s: &SubmissionSummary, now: NaiveDateTime) -> Summary {
        Summary {
            id: s.id.clone(),
            reference: s.reference.clone(),
            form: s.form.as_str().to_owned(),
            topic: s.topic.as_str().to_owned(),
            queue: s.queue.as_str().to_owned(),
            status: s.status.as_str().to_owned(),
            priority: s.priority.as_str().to_owned(),
            name: s.name.clone(),
            email: s.email.clone(),
            subject: s.subject.clone(),
            assignee_id: s.assignee_id.clone(),
            created_at: s.created_at.into(),
            updated_at: s.updated_at.into(),
            deadline_at: s.deadline_at.map(Instant::from),
            overdue: s.deadline_at.is_some_and(|d| d < now) && s.status.is_open(),
            channel: s.channel.as_str().to_owned(),
            last_activity_at: s.last_activity_at.into(),
            unread: s.unread,
        }
    }
}

/// A page of the list; `next` is the cursor of the following page, if any.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Page {
    pub items: Vec<Summary>,
    pub next: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Consent {
    pub given: bool,
    /// The wording's version the reader agreed to.
    pub version: String,
    /// The SHA-256 (hex) of the exact text shown, in the reader's language.
    pub text_sha256: Option<String>,
    pub at: Instant,
}

/// The whole submission: the list's fields and the rest.
#[derive(Debug, Serialize, ToSchema)]
pub struct Submission {
    #[serde(flatten)]
    pub summary: Summary,
    pub phone: Option<String>,
    pub organisation: Option<String>,
    pub message: String,
    pub article_url: Option<String>,
    pub article_title: Option<String>,
    #[schema(value_type = Locale)]
    pub locale: String,
    pub consent: Consent,
    pub marketing_opt_in: bool,
    /// Send it back as `If-Match` (or the `version` field) to change the submission.
    pub version: i32,
    pub first_response_at: Option<Instant>,
    pub resolved_at: Option<Instant>,
    /// Why it was quarantined (`honeypot`, `too_fast`, `blocked_word`…); null when it was not.
    #[schema(example = "honeypot,too_fast")]
    pub spam_reason: Option<String>,
    /// What to know about it: `bidi` when its text holds bidirectional control characters,
    /// which can make it display in another order than it reads; `out_of_time` for a right of
    /// reply asked for over three months after the article's publication.
    pub flags: Vec<String>,
    /// When the article was published (`YYYY-MM-DD`).
    #[schema(value_type = Option<String>, format = Date)]
    pub article_published_at: Option<String>,
    /// How a right of reply or a correction was closed.
    #[schema(value_type = Option<crate::domain::Outcome>)]
    pub outcome: Option<Value>,
    /// On legal hold: the retention purge and the erasure leave it alone.
    pub legal_hold: bool,
}

impl Submission {
    pub fn new(s: &views::Submission, now: NaiveDateTime) -> Submission {
        Submission {
            summary: Summary::new(&SubmissionSummary::from(s), now),
            phone: s.phone.clone(),
            organisation: s.organisation.clone(),
            message: s.message.clone(),
            article_url: s.article_url.clone(),
            article_title: s.article_title.clone(),
            locale: s.locale.as_str().to_owned(),
            consent: Consent {
                given: s.consent,
                version: s.consent_version.clone(),
                text_sha256: s.consent_text_sha256.clone(),
                at: s.consent_at.into(),
            },
            marketing_opt_in: s.marketing_opt_in,
            version: s.version,
            first_response_at: s.first_response_at.map(Instant::from),
            resolved_at: s.resolved_at.map(Instant::from),
            spam_reason: s.spam_reason.clone(),
            flags: s
                .flags
                .split(',')
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect(),
            article_published_at: s.article_published_at.map(|d| d.to_string()),
            outcome: s
                .outcome
                .as_deref()
                .and_then(|o| serde_json::from_str(o).ok()),
            legal_hold: s.legal_hold,
        }
    }
}

/// An internal note: staff only, never e-mailed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Note {
    pub id: String,
    pub author_id: String,
    pub body: String,
    pub created_at: Instant,
}

impl From<&views::Note> for Note {
    fn from(n: &views::Note) -> Self {
        Note {
            id: n.id.clone(),
            author_id: n.author_id.clone(),
            body: n.body.clone(),
            created_at: n.created_at.into(),
        }
    }
}

/// A message to the reader, and whether it has left.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reply {
    pub id: String,
    /// `outbound` for staff replies.
    pub direction: String,
    pub author_id: Option<String>,
    pub message_id: String,
    pub subject: String,
    pub body: String,
    pub created_at: Instant,
    pub delivery: Option<DeliveryState>,
}

impl Reply {
    pub fn new(m: &views::Message, delivery: Option<DeliveryState>) -> Reply {
        Reply {
            id: m.id.clone(),
            direction: m.direction.clone(),
            author_id: m.author_id.clone(),
            message_id: m.message_id.clone(),
            subject: m.subject.clone(),
            body: m.body.clone(),
            created_at: m.created_at.into(),
            delivery,
        }
    }
}

/// One line of the audit trail: who changed what, before and after.
#[derive(Debug, Serialize, ToSchema)]
pub struct Event {
    pub id: String,
    pub actor: String,
    pub kind: String,
    pub detail: Value,
    pub at: Instant,
}

/// An e-mail about the submission and its delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    pub id: String,
    /// To the team: `team_notification`, `reply_notice`, `duty_reminder`; to the reader:
    /// `reader_ack`, `staff_reply`, `reader_outcome`.
    pub purpose: String,
    pub status: DeliveryState,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub message_id: String,
    pub created_at: Instant,
    pub sent_at: Option<Instant>,
    /// From a delivery status notification: the status (`5.1.1`) and the diagnostic.
    pub bounce_status: Option<String>,
    pub bounce_diagnostic: Option<String>,
    /// Why it is kept but not sent (`reader_address_bounced`).
    pub held_reason: Option<String>,
}

/// Everything staff see about one submission.
#[derive(Debug, Serialize, ToSchema)]
pub struct Detail {
    #[serde(flatten)]
    pub submission: Submission,
    pub notes: Vec<Note>,
    /// Staff replies only; superseded by `messages`, which holds both directions.
    pub replies: Vec<Reply>,
    /// The whole conversation with the reader, in order, both directions.
    pub messages: Vec<super::thread::Message>,
    pub events: Vec<Event>,
    pub deliveries: Vec<Delivery>,
    /// When the reader withdrew the marketing opt-in through the link in a commercial e-mail;
    /// null while they have not.
    pub marketing_withdrawn_at: Option<Instant>,
    /// The same reader's other submissions (the address in any case) on the caller's desks,
    /// newest first, at most 50. Erased and purged ones are not listed.
    pub reader_history: Vec<super::history::ReaderSubmission>,
}

impl Detail {
    pub fn new(r: &Record, now: NaiveDateTime) -> Detail {
        Detail {
            submission: Submission::new(&r.submission, now),
            notes: r.notes.iter().map(Note::from).collect(),
            messages: super::thread::messages(r),
            replies: r
                .replies
                .iter()
                .filter(|m| m.is_staff_reply())
                .map(|m| {
                    let delivery = r
                        .deliveries
                        .iter()
                        .find(|d| Some(&d.id) == m.outbox_id.as_ref())
                        .map(super::values::delivery_state);
                    Reply::new(m, delivery)
                })
                .collect(),
            events: r
                .events
                .iter()
                .map(|e| Event {
                    id: e.id.clone(),
                    actor: e.actor.clone(),
                    kind: e.kind.as_str().to_owned(),
                    detail: e.detail.clone(),
                    at: e.created_at.into(),
                })
                .collect(),
            deliveries: r
                .deliveries
                .iter()
                .map(|d| Delivery {
                    id: d.id.clone(),
                    purpose: d.purpose.as_str().to_owned(),
                    status: super::values::delivery_state(d),
                    attempts: d.attempts,
                    last_error: d.last_error.clone(),
                    message_id: d.message_id.clone(),
                    created_at: d.created_at.into(),
                    sent_at: d.sent_at.map(Instant::from),
                    bounce_status: d.bounce_status.clone(),
                    bounce_diagnostic: d.bounce_diagnostic.clone(),
                    held_reason: d.held_reason.clone(),
                })
                .collect(),
            marketing_withdrawn_at: r.marketing_withdrawn_at.map(Instant::from),
            reader_history: super::history::of(r),
        }
    }
}

/// A queue and how much is in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Queue {
    pub name: String,
    pub label: String,
    #[schema(value_type = Desk)]
    pub desk: &'static str,
    /// Submissions by status.
    pub counts: BTreeMap<String, i64>,
    /// Open submissions past their deadline.
    pub overdue: i64,
}

impl From<&QueueView> for Queue {
    fn from(v: &QueueView) -> Self {
        Queue {
            name: v.name.clone(),
            label: v.label.clone(),
            desk: v.desk,
            counts: v.counts.iter().cloned().collect(),
            overdue: v.overdue,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Queues {
    pub queues: Vec<Queue>,
}
