//! Bidirectional controls in reader text are flagged wherever the console shows it: the
//! inbox's subject column and each message of the thread, not only the submission's own text.

use serde_json::json;

use super::Browser;
use crate::helpers::{Backend, MailSink, SinkMode};
use crate::inbound::{message, post_mime, reader_message_id, spawn_inbound_app_with};

async fn bidi_controls_are_flagged_in_the_inbox_and_on_each_message(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app_with(b, sink.port, |s| s.mail.run_worker = false).await;
    let editor = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    let flags = |body: &str| body.matches("bidi-flag").count();
    assert_eq!(
        flags(&browser.get("/staff/").await.body),
        0,
        "nothing to flag yet"
    );

    // The reader writes again, a "Facture exe.pdf"-style subject reversed by U+202E.
    let raw = message(
        &[
            ("From", "Zoé Martin <zoe.martin@example.fr>"),
            ("To", "<redaction@journal.example>"),
            (
                "Subject",
                &format!("Re: [{reference}] Facture \u{202E}fdp.exe"),
            ),
            ("Message-ID", &reader_message_id()),
        ],
        "Voici la pièce.",
    );
    assert_eq!(post_mime(&app, &raw).await.status(), 202);
    let page = browser
        .get(&format!("/staff/submissions/{reference}"))
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(
        flags(&page.body),
        1,
        "the message is flagged: {}",
        page.body
    );

    // A submission whose own subject holds one is flagged in the inbox's row too.
    let mut body = crate::helpers::newsroom_body();
    body["subject"] = json!("Facture \u{2067}exe.pdf\u{2069}");
    let (reversed, _) = crate::duties::post(&app, &body).await;
    let inbox = browser.get("/staff/").await.body;
    let row = inbox
        .split("<tr")
        .find(|r| r.contains(&reversed))
        .expect("its row");
    assert!(row.contains("bidi-flag"), "{row}");
    assert!(inbox
        .split("<tr")
        .filter(|r| r.contains(&reference))
        .all(|r| !r.contains("bidi-flag")));
}

crate::on_both_backends!(bidi_controls_are_flagged_in_the_inbox_and_on_each_message);
