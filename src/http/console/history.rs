//! A submission's history as staff read it: each event's kind in words, and for a change its
//! field and values ("Statut : nouveau → ouvert"), colleagues by name, never an internal id.

use std::collections::HashMap;

use serde_json::Value;

use super::words;
use crate::desk::views::{Change, Event};
use crate::domain::{EventKind, Locale, Priority, Status};

/// The words for a change: the field, then the value before and after.
pub fn change_text(c: &Change, names: &HashMap<String, String>, locale: Locale) -> String {
    let fr = locale == Locale::Fr;
    let field = match c.field.as_str() {
        "status" if fr => "Statut",
        "status" => "Status",
        "priority" if fr => "Priorité",
        "priority" => "Priority",
        "assignee" if fr => "Responsable",
        "assignee" => "Assignee",
        "queue" if fr => "File",
        "queue" => "Queue",
        "legal_hold" if fr => "Conservation légale",
        "legal_hold" => "Legal hold",
        "article_published_at" if fr => "Date de publication",
        "article_published_at" => "Publication date",
        other => other,
    };
    let value = |v: &Value| match v {
        Value::Null => "—".to_owned(),
        Value::Bool(true) => words::words(locale).yes.to_owned(),
        Value::Bool(false) => words::words(locale).no.to_owned(),
        Value::String(s) => match c.field.as_str() {
            "status" => {
                Status::parse(s).map_or_else(|_| s.clone(), |s| words::status(s, locale).into())
            }
            "priority" => {
                Priority::parse(s).map_or_else(|_| s.clone(), |p| words::priority(p, locale).into())
            }
            // An account that is gone keeps its id: there is no name left to show.
            _ => names.get(s).cloned().unwrap_or_else(|| s.clone()),
        },
        other => other.to_string(),
    };
    format!(
        "{field}{} {} → {}",
        locale.colon(),
        value(&c.from),
        value(&c.to)
    )
}

/// One line of the history: a change in words, or what happened, with the reference a
/// hand-over made or the kind of outcome recorded.
pub fn line(e: &Event, names: &HashMap<String, String>, locale: Locale) -> String {
    let label = e.kind.label(locale);
    let also = match (&e.change, e.kind) {
        (Some(c), _) => return change_text(c, names, locale),
        (None, EventKind::HandedOver) => e.detail["to"].as_str(),
        (None, EventKind::Outcome) => e.detail["kind"].as_str(),
        _ => None,
    };
    match also {
        Some(more) if !more.is_empty() => format!("{label} ({more})"),
        _ => label.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(kind: EventKind, detail: Value) -> Event {
        let change = detail["field"].as_str().map(|f| Change {
            field: f.into(),
            from: detail["from"].clone(),
            to: detail["to"].clone(),
        });
        Event {
            id: "e".into(),
            actor: "a".into(),
            kind,
            detail,
            change,
            created_at: chrono::NaiveDateTime::default(),
        }
    }

    #[test]
    fn a_change_reads_in_words_with_names_not_ids() {
        let names = HashMap::from([("acc-1".to_owned(), "Alice".to_owned())]);
        let status = event(
            EventKind::Changed,
            json!({"field": "status", "from": "new", "to": "open"}),
        );
        assert_eq!(
            line(&status, &names, Locale::Fr),
            "Statut\u{202f}: nouveau → ouvert"
        );
        let assignee = event(
            EventKind::Changed,
            json!({"field": "assignee", "from": null, "to": "acc-1"}),
        );
        assert_eq!(line(&assignee, &names, Locale::En), "Assignee: — → Alice");
    }

    #[test]
    fn other_kinds_read_as_their_label() {
        let names = HashMap::new();
        let e = event(EventKind::ReaderReplied, json!({"message": "m-1"}));
        assert_eq!(line(&e, &names, Locale::Fr), "Réponse du lecteur");
        let e = event(
            EventKind::HandedOver,
            json!({"to": "C-2026-0001", "queue": "sales"}),
        );
        assert_eq!(
            line(&e, &names, Locale::En),
            "Handed over to sales (C-2026-0001)"
        );
    }
}
