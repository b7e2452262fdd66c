//! `GET /staff/`: the submissions the account may see, by view ("À traiter" unless told), the
//! latest activity first, with unread markers, filters, keyset paging and the queues' counts;
//! `POST /staff/bulk` marks several as spam or releases them.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::error::answer;
use super::triage_views::{self, Tab, TriageWords};
use super::{language, page, see_other, time, words, ConsoleError, ConsoleUser, Frame};
use crate::desk::triage::{self, AssigneeFilter, ListFilter, Sort};
use crate::desk::{accounts, inbox};
use crate::domain::holds_bidi_controls;
use crate::domain::i18n::topic_label;
use crate::domain::{Locale, QueueName, Status, Topic};
use crate::http::state::AppState;

const PAGE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct InboxQuery {
    view: Option<String>,
    unread: Option<String>,
    queue: Option<String>,
    status: Option<String>,
    topic: Option<String>,
    assignee: Option<String>,
    overdue: Option<String>,
    q: Option<String>,
    after: Option<String>,
    done: Option<String>,
    n: Option<usize>,
}

fn some(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

pub struct Row {
    reference: String,
    name: String,
    topic: &'static str,
    summary: String,
    status: &'static str,
    status_code: &'static str,
    assignee: String,
    age: String,
    deadline: Option<String>,
    overdue: bool,
    id: String,
    /// The name or summary shown holds bidirectional controls: staff are warned in the row.
    bidi: bool,
    /// Activity since the account last opened it.
    unread: bool,
}

pub struct QueuePanel {
    name: String,
    label: String,
    counts: Vec<(String, &'static str, i64)>,
    overdue: i64,
}

#[derive(Template)]
#[template(path = "console/inbox.html")]
struct Inbox {
    f: Frame,
    t: &'static TriageWords,
    tabs: Vec<Tab>,
    unread_tab: Tab,
    view: &'static str,
    rows: Vec<Row>,
    panel: Vec<QueuePanel>,
    queues: Vec<(String, String)>,
    statuses: Vec<(&'static str, &'static str)>,
    topics: Vec<(&'static str, &'static str)>,
    sel_queue: String,
    sel_status: String,
    sel_topic: String,
    sel_assignee: String,
    overdue: bool,
    q: String,
    next: Option<String>,
    paged: bool,
}

/// The filter a query names; a value that is not one of ours answers 400.
fn filter(who: &ConsoleUser, query: &InboxQuery) -> Result<ListFilter, ConsoleError> {
    let bad = |_| ConsoleError::BadRequest;
    let filtered = [
        &query.queue,
        &query.status,
        &query.topic,
        &query.assignee,
        &query.overdue,
        &query.q,
    ]
    .iter()
    .any(|v| some(v).is_some());
    let mut f = ListFilter {
        view: triage_views::chosen(some(&query.view), filtered).ok_or(ConsoleError::BadRequest)?,
        unread: some(&query.unread).is_some(),
        sort: Sort::Activity,
        queue: some(&query.queue)
            .map(QueueName::parse)
            .transpose()
            .map_err(bad)?,
        status: some(&query.status)
            .map(Status::parse)
            .transpose()
            .map_err(bad)?,
        topic: some(&query.topic)
            .map(Topic::parse)
            .transpose()
            .map_err(bad)?,
        overdue: some(&query.overdue).map(|_| true),
        q: some(&query.q).map(str::to_owned),
        limit: PAGE + 1,
        now: crate::desk::now(),
        ..ListFilter::default()
    };
    f.assignee = match some(&query.assignee) {
        None => None,
        Some("me") => Some(AssigneeFilter::User(who.user.id.clone())),
        Some("none") => Some(AssigneeFilter::Nobody),
        Some(id) => Some(AssigneeFilter::User(id.to_owned())),
    };
    if let Some(after) = some(&query.after) {
        let (micros, id) = after.split_once('_').ok_or(ConsoleError::BadRequest)?;
        let micros: i64 = micros.parse().map_err(|_| ConsoleError::BadRequest)?;
        let at = chrono::DateTime::from_timestamp_micros(micros)
            .ok_or(ConsoleError::BadRequest)?
            .naive_utc();
        f.after = Some((at, id.to_owned()));
    }
    Ok(f)
}

/// The same filters, for the next page's link.
fn next_link(query: &InboxQuery, after: String) -> String {
    let mut url = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("view", &query.view),
        ("unread", &query.unread),
        ("queue", &query.queue),
        ("status", &query.status),
        ("topic", &query.topic),
        ("assignee", &query.assignee),
        ("overdue", &query.overdue),
        ("q", &query.q),
    ] {
        if let Some(v) = some(v) {
            url.append_pair(k, v);
        }
    }
    url.append_pair("after", &after);
    format!("/staff/?{}", url.finish())
}

pub async fn page_view(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: ConsoleUser,
    query: web::Query<InboxQuery>,
) -> HttpResponse {
    let locale = language(&req, who.user.locale);
    answer(locale, render(&req, &state, &who, &query, locale).await)
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    who: &ConsoleUser,
    query: &InboxQuery,
    locale: Locale,
) -> Result<HttpResponse, ConsoleError> {
    let w = words::words(locale);
    let f = filter(who, query)?;
    let (view, unread) = (f.view, f.unread);
    let now = f.now;
    let mut found = triage::list(state, &who.user, f).await?;
    let more = found.len() as i64 > PAGE;
    found.truncate(usize::try_from(PAGE).unwrap_or(50));
    let next = more.then(|| found.last()).flatten().map(|last| {
        next_link(
            query,
            format!(
                "{}_{}",
                last.last_activity_at.and_utc().timestamp_micros(),
                last.id
            ),
        )
    });
    let untitled = found
        .iter()
        .filter(|s| s.subject.as_deref().is_none_or(str::is_empty))
        .map(|s| s.id.clone())
        .collect();
    let previews = inbox::previews(state, untitled).await?;
    let names: HashMap<String, String> = accounts::colleagues(&state.pool)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let closed = |s: Status| matches!(s, Status::Resolved | Status::Spam);
    let rows = found
        .into_iter()
        .map(|s| {
            let overdue = s.deadline_at.is_some_and(|d| d < now) && !closed(s.status);
            let summary = s
                .subject
                .clone()
                .filter(|t| !t.is_empty())
                .or_else(|| previews.get(&s.id).cloned())
                .unwrap_or_default();
            Row {
                bidi: holds_bidi_controls(&summary) || holds_bidi_controls(&s.name),
                summary,
                deadline: s.deadline_at.filter(|_| !closed(s.status)).map(|d| {
                    if d < now {
                        w.overdue.to_owned()
                    } else {
                        format!("{} {}", time::span(d - now, locale), w.left)
                    }
                }),
                overdue,
                topic: topic_label(s.topic, locale),
                status: words::status(s.status, locale),
                status_code: s.status.as_str(),
                assignee: s
                    .assignee_id
                    .as_ref()
                    .and_then(|a| names.get(a).cloned())
                    .unwrap_or_default(),
                age: time::age(s.created_at, now, locale),
                unread: s.unread,
                reference: s.reference,
                name: s.name,
                id: s.id,
            }
        })
        .collect();
    let views = inbox::queue_counts(state, &who.user).await?;
    let panel = views
        .iter()
        .map(|v| QueuePanel {
            name: v.name.clone(),
            label: v.label.clone(),
            counts: v
                .counts
                .iter()
                .filter_map(|(s, n)| {
                    let status = Status::parse(s).ok()?;
                    Some((s.clone(), words::status(status, locale), *n))
                })
                .collect(),
            overdue: v.overdue,
        })
        .collect();
    let desks = who.user.desks();
    let topics = Topic::ALL
        .iter()
        .filter(|t| {
            desks.iter().any(|d| {
                [
                    crate::domain::FormKind::Newsroom,
                    crate::domain::FormKind::Sales,
                ]
                .iter()
                .any(|form| form.desk() == *d && Topic::for_form(*form).contains(t))
            })
        })
        .map(|t| (t.as_str(), topic_label(*t, locale)))
        .collect();
    let flash = match query.done.as_deref() {
        Some("bulk") => Some(format!("{} {}", w.bulk_done, query.n.unwrap_or(0))),
        _ => None,
    };
    let (tabs, unread_tab) = triage_views::tabs(view, unread, locale);
    page(
        StatusCode::OK,
        Inbox {
            f: who.frame(req, w.inbox, flash),
            t: triage_views::words(locale),
            tabs,
            unread_tab,
            view: view.as_str(),
            rows,
            panel,
            queues: views
                .iter()
                .map(|v| (v.name.clone(), v.label.clone()))
                .collect(),
            statuses: Status::ALL
                .iter()
                .map(|s| (s.as_str(), words::status(*s, locale)))
                .collect(),
            topics,
            sel_queue: some(&query.queue).unwrap_or_default().to_owned(),
            sel_status: some(&query.status).unwrap_or_default().to_owned(),
            sel_topic: some(&query.topic).unwrap_or_default().to_owned(),
            sel_assignee: some(&query.assignee).unwrap_or_default().to_owned(),
            overdue: some(&query.overdue).is_some(),
            q: some(&query.q).unwrap_or_default().to_owned(),
            next,
            paged: some(&query.after).is_some(),
        }
        .render(),
    )
}

/// `POST /staff/bulk`: `ids` (repeated) and `action` (`spam` or `release`).
pub async fn bulk(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: ConsoleUser,
    body: web::Bytes,
) -> HttpResponse {
    let locale = language(&req, who.user.locale);
    let result = async {
        let posted = who.checked(&state, &body)?;
        let to_spam = match posted.get("action") {
            Some("spam") => true,
            Some("release") => false,
            _ => return Err(ConsoleError::BadRequest),
        };
        let ids: Vec<String> = posted.all("ids").into_iter().map(str::to_owned).collect();
        let moved = inbox::bulk_move(&state, &who.user, &ids, to_spam).await?;
        Ok(see_other(&format!("/staff/?done=bulk&n={moved}")))
    }
    .await;
    answer(locale, result)
}
