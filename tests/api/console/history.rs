//! The submission page's history reads in the staff member's language: each event kind in
//! words, a change as its field and values, a colleague by name; never an event's stored name
//! or an account's id; each e-mail's purpose and state in words ("envoyé (1 essai)"). A
//! reader's e-mailed answer is labelled as the reader's, not as a reply.

use super::Browser;
use crate::helpers::{Backend, MailSink, SinkMode};
use crate::inbound::{message, post_mime, reader_message_id, spawn_inbound_app_with};

fn history(page: &str) -> &str {
    let start = page.find("id=\"history-title\"").expect("the history");
    &page[start..]
}

fn thread(page: &str) -> &str {
    let end = page.find("id=\"history-title\"").expect("the history");
    &page[..end]
}

async fn the_history_reads_in_words_and_names_the_readers_answer(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app_with(b, sink.port, |s| s.mail.run_worker = false).await;
    let editor = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    let page_path = format!("/staff/submissions/{reference}");
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    let action = |a: &str| format!("{page_path}/{a}");
    let moved = browser
        .submit(&page_path, &action("status"), &[("status", "open")])
        .await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    let assigned = browser
        .submit(&page_path, &action("assign"), &[("assignee", &editor.id)])
        .await;
    assert_eq!(assigned.status, 303, "{}", assigned.body);
    let raw = message(
        &[
            ("From", "Zoé Martin <zoe.martin@example.fr>"),
            ("To", "<redaction@journal.example>"),
            ("Subject", &format!("Re: [{reference}] Ma question")),
            ("Message-ID", &reader_message_id()),
        ],
        "Voici les précisions demandées.",
    );
    assert_eq!(post_mime(&app, &raw).await.status(), 202);

    let page = browser.get(&page_path).await;
    assert_eq!(page.status, 200);
    let history = history(&page.body);
    assert!(history.contains("Demande reçue"), "{history}");
    assert!(
        history.contains("Statut\u{202f}: nouveau → ouvert"),
        "{history}"
    );
    assert!(history.contains("Réponse du lecteur"), "{history}");
    for raw_name in [
        "submission_received",
        "reader_replied",
        "changed",
        "assignee",
    ] {
        assert!(!history.contains(raw_name), "{raw_name} in {history}");
    }
    assert!(!history.contains(&editor.id), "an account id in {history}");
    assert!(!history.contains("<code>"), "{history}");
    // Times are in the newsroom's zone (site.timezone, Paris by default), not in UTC.
    assert!(
        history.contains(" CET") || history.contains(" CEST"),
        "{history}"
    );
    assert!(!page.body.contains(" UTC"), "a UTC time on the page");
    // The reader's message in the thread is theirs, not a staff reply.
    let thread = thread(&page.body);
    assert!(thread.contains("Réponse du lecteur"), "{thread}");
    assert!(!thread.contains("Réponse envoyée"), "{thread}");

    // In English for an English-speaking colleague.
    let mut english = Browser::new(&app);
    english.accept_language = "en";
    english.sign_in(&editor).await;
    let page = english.get(&page_path).await;
    let history = self::history(&page.body);
    assert!(history.contains("Submission received"), "{history}");
    assert!(history.contains("Status: new → open"), "{history}");
    assert!(history.contains("answer"), "{history}");
}

crate::on_both_backends!(the_history_reads_in_words_and_names_the_readers_answer);
