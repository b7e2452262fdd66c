//! How staff ask for a list of submissions: the filters, the order and the page, with the desks
//! the caller may see. The use case sets the desks; storage turns the rest into a query.

use chrono::NaiveDateTime;

use super::{Channel, Desk, FormKind, QueueName, Status, Topic};

/// Who a list is filtered on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssigneeFilter {
    User(String),
    Nobody,
}

/// The list's order. Each has its own keyset, so pages never repeat or skip a row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Newest first, by (created_at, id).
    #[default]
    Newest,
    /// Submissions with a deadline only, the most urgent first, by (deadline_at, id).
    Deadline,
    /// The latest activity first, by (last_activity_at, id).
    Activity,
}

/// A saved view of the inbox: which submissions it holds, before any other filter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum View {
    /// What needs handling: `new`, `open`, and `waiting` with a reader's answer since staff
    /// last acted.
    Todo,
    /// Assigned to the caller, not yet resolved or spam.
    Mine,
    /// Assigned to no one, not yet resolved or spam.
    Unassigned,
    /// Everything on the caller's desks.
    #[default]
    All,
}

impl View {
    pub const ALL: [View; 4] = [View::Todo, View::Mine, View::Unassigned, View::All];

    pub fn as_str(self) -> &'static str {
        match self {
            View::Todo => "todo",
            View::Mine => "mine",
            View::Unassigned => "unassigned",
            View::All => "all",
        }
    }

    pub fn parse(text: &str) -> Option<View> {
        View::ALL.into_iter().find(|v| v.as_str() == text)
    }
}

/// The list's filters, with the desks the caller may see.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub desks: Vec<Desk>,
    pub queue: Option<QueueName>,
    pub status: Option<Status>,
    pub topic: Option<Topic>,
    pub form: Option<FormKind>,
    /// `web` (form posts) or `email`.
    pub channel: Option<Channel>,
    pub assignee: Option<AssigneeFilter>,
    pub overdue: Option<bool>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub q: Option<String>,
    pub view: View,
    /// Only those unread by the caller (activity since the caller last opened them).
    pub unread: bool,
    /// The caller's account, for `Mine` and the unread markers: set by the use case.
    pub viewer: String,
    pub sort: Sort,
    /// Keyset: rows strictly after this (time, id) in the sort order.
    pub after: Option<(NaiveDateTime, String)>,
    pub limit: i64,
    pub now: NaiveDateTime,
}
