//! `GET /staff/submissions/{reference}`: one submission, its thread, history and e-mails, and
//! the forms that act on it. The same page comes back with 422 (or 409 on a conflict) when an
//! action is refused, the problem next to its field.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::error::answer;
use super::{history, language, page, time, words, ConsoleError, ConsoleUser, Frame};
use crate::desk::triage::{self, Record};
use crate::desk::{accounts, reading};
use crate::domain::holds_bidi_controls;
use crate::domain::i18n::topic_label;
use crate::domain::{EventKind, Locale, Priority, Zone};
use crate::http::state::AppState;

/// What went wrong with the last action, and what the staff member typed.
#[derive(Default)]
pub struct Problem {
    /// Field name → message, for the form that was posted.
    pub errors: HashMap<&'static str, String>,
    /// Someone else's changes since the page was loaded.
    pub conflict: Option<Vec<String>>,
    pub note: String,
    pub reply: String,
    pub reply_subject: String,
    /// The saved reply just inserted into the reply box.
    pub saved_reply: Option<String>,
    /// The outcome form as posted, when it was refused.
    pub outcome: Option<Box<super::outcome::Typed>>,
    /// The thread's items a refused reply's author had not seen.
    pub thread_changed: Option<Vec<Item>>,
}

impl Problem {
    pub fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

pub struct Item {
    kind: &'static str,
    author: String,
    at: String,
    subject: Option<String>,
    body: String,
    /// Its subject or text holds bidirectional controls: staff are warned on it.
    bidi: bool,
}

impl Item {
    /// A staff reply or a reader's message, as the thread shows it.
    pub fn of_message(
        m: crate::desk::views::Message,
        names: &HashMap<String, String>,
        reader: &str,
        locale: Locale,
        zone: Zone,
    ) -> Item {
        let w = words::words(locale);
        Item {
            kind: if m.is_staff_reply() {
                w.reply
            } else {
                w.reader_answer
            },
            author: m
                .author_id
                .as_ref()
                .and_then(|a| names.get(a).cloned())
                .unwrap_or_else(|| reader.to_owned()),
            at: time::stamp(m.created_at, zone),
            bidi: holds_bidi_controls(&m.subject) || holds_bidi_controls(&m.body),
            subject: Some(m.subject),
            body: m.body,
        }
    }
}

#[derive(Template)]
#[template(path = "console/submission.html")]
struct Page {
    f: Frame,
    p: Problem,
    s: crate::desk::views::Submission,
    csrf: String,
    topic: &'static str,
    status: &'static str,
    priority: &'static str,
    queue: String,
    assignee: String,
    received: String,
    consent_at: String,
    /// When the reader withdrew the marketing opt-in (the signed link), if they did.
    marketing_withdrawn_at: Option<String>,
    deadline: Option<String>,
    bidi: bool,
    /// The status form's: the current status (selected) and the moves from it.
    moves: Vec<(&'static str, &'static str, bool)>,
    /// The composer's statuses (the current one selected): (code, label, current).
    statuses: Vec<(&'static str, &'static str, bool)>,
    /// The composer's: the newest item of the thread shown (empty: none).
    thread_seen: String,
    /// The signed-in account's id.
    me: String,
    cw: &'static super::composer::Words,
    priorities: Vec<(&'static str, &'static str)>,
    assignees: Vec<(String, String)>,
    thread: Vec<Item>,
    history: Vec<(String, String, String)>,
    deliveries: Vec<(&'static str, &'static str, String, String)>,
    seen: i64,
    /// The saved replies of the submission's desk: (id, title).
    saved_replies: Vec<(String, String)>,
    /// The outcome form and the hand-over.
    closing: super::outcome::Panel,
    t: &'static super::triage_views::TriageWords,
    /// The same reader's other submissions on the account's desks: (reference, subject or
    /// kind, status, received).
    reader_history: Vec<(String, String, &'static str, String)>,
}

#[derive(Deserialize)]
pub struct PageQuery {
    done: Option<String>,
}

pub async fn page_view(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: ConsoleUser,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    let locale = language(&req, who.user.locale);
    let w = words::words(locale);
    let flash = match query.done.as_deref() {
        Some("status" | "assign" | "priority" | "hold") => Some(w.saved.to_owned()),
        Some("notes") => Some(w.note_added.to_owned()),
        Some("replies") => Some(w.reply_queued.to_owned()),
        Some("outcome") => Some(w.outcome_saved.to_owned()),
        Some("handover") => Some(w.handed_over.to_owned()),
        _ => None,
    };
    answer(
        locale,
        render(
            &req,
            &state,
            &who,
            &path,
            StatusCode::OK,
            flash,
            Problem::default(),
        )
        .await,
    )
}

/// A change event, as one line: "Statut : nouveau → ouvert (Alice, 2026-12-02 10:00 UTC)".
fn change_line(
    e: &crate::desk::views::Event,
    names: &HashMap<String, String>,
    locale: Locale,
    zone: Zone,
) -> Option<String> {
    let change = e.change.as_ref()?;
    Some(format!(
        "{} ({}, {})",
        history::change_text(change, names, locale),
        names
            .get(&e.actor)
            .cloned()
            .unwrap_or_else(|| e.actor.clone()),
        time::stamp(e.created_at, zone)
    ))
}

/// The changes recorded after `seen` (the submission's last change when the page was loaded).
pub async fn changes_since(
    state: &AppState,
    who: &ConsoleUser,
    reference: &str,
    seen: i64,
    locale: Locale,
) -> Result<Vec<String>, ConsoleError> {
    let record = triage::record(state, &who.user, reference).await?;
    let names = account_names(state).await?;
    Ok(record
        .events
        .iter()
        .filter(|e| {
            e.kind == EventKind::Changed && e.created_at.and_utc().timestamp_micros() > seen
        })
        .filter_map(|e| change_line(e, &names, locale, state.settings.site.timezone))
        .collect())
}

pub async fn account_names(state: &AppState) -> Result<HashMap<String, String>, ConsoleError> {
    Ok(accounts::colleagues(&state.pool)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

pub async fn render(
    req: &HttpRequest,
    state: &AppState,
    who: &ConsoleUser,
    reference: &str,
    status: StatusCode,
    flash: Option<String>,
    problem: Problem,
) -> Result<HttpResponse, ConsoleError> {
    let locale = language(req, who.user.locale);
    let zone = state.settings.site.timezone;
    let w = words::words(locale);
    let Record {
        submission: s,
        notes,
        replies,
        events,
        deliveries,
        marketing_withdrawn_at,
        reader_history,
        ..
    } = reading::open(state, &who.user, reference).await?;
    let users = accounts::colleagues(&state.pool).await?;
    let saved_replies = super::saved_reply::choices(state, who, s.desk, s.locale).await?;
    let names: HashMap<String, String> = users
        .iter()
        .map(|u| (u.id.clone(), u.display_name.clone()))
        .collect();
    let now = crate::desk::now();
    let thread_seen = replies.last().map(|m| m.id.clone()).unwrap_or_default();
    let mut thread: Vec<(chrono::NaiveDateTime, Item)> = notes
        .into_iter()
        .map(|n| {
            (
                n.created_at,
                Item {
                    kind: w.note,
                    author: names.get(&n.author_id).cloned().unwrap_or_default(),
                    at: time::stamp(n.created_at, zone),
                    subject: None,
                    bidi: holds_bidi_controls(&n.body),
                    body: n.body,
                },
            )
        })
        .chain(replies.into_iter().map(|m| {
            (
                m.created_at,
                Item::of_message(m, &names, &s.name, locale, zone),
            )
        }))
        .collect();
    thread.sort_by_key(|(at, _)| *at);
    let closed = matches!(
        s.status,
        crate::domain::Status::Resolved | crate::domain::Status::Spam
    );
    let typed = problem.outcome.as_deref().cloned();
    let closing = super::outcome::panel(state, who, &s, typed, locale).await?;
    let title = format!("{} — {}", s.reference, s.name);
    let body = Page {
        f: who.frame(req, &title, flash),
        csrf: who.csrf.clone(),
        topic: topic_label(s.topic, locale),
        status: words::status(s.status, locale),
        priority: words::priority(s.priority, locale),
        queue: state
            .settings
            .queues
            .get(s.queue.as_str())
            .map_or_else(|| s.queue.as_str().to_owned(), |q| q.label.clone()),
        assignee: s
            .assignee_id
            .as_ref()
            .and_then(|a| names.get(a).cloned())
            .unwrap_or_else(|| w.nobody.to_owned()),
        received: time::stamp(s.created_at, zone),
        consent_at: time::stamp(s.consent_at, zone),
        marketing_withdrawn_at: marketing_withdrawn_at.map(|t| time::stamp(t, zone)),
        deadline: s.deadline_at.map(|d| {
            if closed {
                time::stamp(d, zone)
            } else if d < now {
                format!("{} — {}", w.overdue, time::stamp(d, zone))
            } else {
                format!(
                    "{} {} — {}",
                    time::span(d - now, locale),
                    w.left,
                    time::stamp(d, zone)
                )
            }
        }),
        bidi: s.flags.split(',').any(|f| f.trim() == "bidi"),
        moves: crate::domain::Status::ALL
            .iter()
            .filter(|m| **m == s.status || s.status.can_move_to(**m))
            .map(|m| (m.as_str(), words::status(*m, locale), *m == s.status))
            .collect(),
        statuses: super::composer::statuses(s.status, locale),
        thread_seen,
        me: who.user.id.clone(),
        cw: super::composer::words(locale),
        priorities: Priority::ALL
            .iter()
            .map(|p| (p.as_str(), words::priority(*p, locale)))
            .collect(),
        assignees: users
            .iter()
            .filter(|u| accounts::assignable(u, s.desk) && u.id != who.user.id)
            .map(|u| (u.id.clone(), u.display_name.clone()))
            .collect(),
        thread: thread.into_iter().map(|(_, i)| i).collect(),
        history: events
            .iter()
            .map(|e| {
                (
                    time::stamp(e.created_at, zone),
                    names
                        .get(&e.actor)
                        .cloned()
                        .unwrap_or_else(|| e.actor.clone()),
                    history::line(e, &names, locale),
                )
            })
            .collect(),
        deliveries: deliveries
            .iter()
            .map(|d| {
                (
                    words::purpose(d.purpose, locale),
                    words::delivery_state(
                        d.held_reason.is_some(),
                        d.bounce_status.is_some(),
                        d.status,
                        locale,
                    ),
                    words::attempts(d.attempts, locale),
                    d.sent_at.map(|t| time::stamp(t, zone)).unwrap_or_default(),
                )
            })
            .collect(),
        seen: s.updated_at.and_utc().timestamp_micros(),
        saved_replies,
        closing,
        t: super::triage_views::words(locale),
        reader_history: reader_history
            .into_iter()
            .map(|h| {
                let what = h
                    .subject
                    .filter(|s| !s.trim().is_empty())
                    .unwrap_or_else(|| topic_label(h.topic, locale).to_owned());
                (
                    h.reference,
                    what,
                    words::status(h.status, locale),
                    time::stamp(h.created_at, zone),
                )
            })
            .collect(),
        p: problem,
        s,
    }
    .render();
    page(status, body)
}

/// The page's language, for an action's handler.
pub fn locale_of(req: &HttpRequest, who: &ConsoleUser) -> Locale {
    language(req, who.user.locale)
}
