//! What the reader receives carries a signed reply address; the team's copy answers the reader
//! and says that doing so leaves the thread.

use std::sync::Arc;

use serde_json::json;

use super::spawn_inbound_app;
use crate::helpers::{newsroom_body, spawn_app_with, Backend, MailSink, SinkMode, TestDb};

async fn the_acknowledgement_and_replies_carry_a_signed_reply_address(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app(b, sink.port).await;
    let (reference, id) = app.submit("newsroom").await;
    let mails = sink.wait_for(2).await;
    let ack = mails
        .iter()
        .find(|m| m.to == ["zoe.martin@example.fr"])
        .unwrap();
    let team = mails
        .iter()
        .find(|m| m.to == ["redaction@localhost"])
        .unwrap();

    let token = reference.replace('-', "").to_lowercase();
    let reply_to = ack.header("Reply-To").unwrap();
    assert!(
        reply_to.contains(&format!("<redaction+{token}"))
            && reply_to.ends_with("@journal.example>"),
        "{reply_to}"
    );
    assert_eq!(
        ack.header("Auto-Submitted").as_deref(),
        Some("auto-replied")
    );

    // The team answers the reader directly, and is told that this leaves the thread.
    assert!(team
        .header("Reply-To")
        .unwrap()
        .contains("<zoe.martin@example.fr>"));
    assert_eq!(team.header("Auto-Submitted"), None);
    let text = team.body("text/plain");
    assert!(
        text.contains(&format!("/staff/submissions/{reference}")),
        "{text}"
    );
    assert!(text.contains("hors du fil"), "{text}");

    let editor = app.staff("editor").await;
    let resp = app
        .post_as(&editor, &format!("/v1/submissions/{id}/replies"))
        .json(&json!({"body": "Merci, nous regardons."}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let mails = sink.wait_for(3).await;
    let reply = mails
        .iter()
        .find(|m| m.to == ["zoe.martin@example.fr"] && m.header("Auto-Submitted").is_none())
        .unwrap();
    assert_eq!(reply.header("Reply-To").unwrap(), reply_to);
}

async fn without_a_queue_address_mail_goes_out_as_before(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app_with(Arc::new(TestDb::new(b)), sink.port, |_| {}).await;
    app.post_json("newsroom", &newsroom_body()).await;
    let mails = sink.wait_for(2).await;
    let ack = mails
        .iter()
        .find(|m| m.to == ["zoe.martin@example.fr"])
        .unwrap();
    assert_eq!(ack.header("Reply-To"), None);
    assert_eq!(
        ack.header("Auto-Submitted").as_deref(),
        Some("auto-replied")
    );
}

crate::on_both_backends!(
    the_acknowledgement_and_replies_carry_a_signed_reply_address,
    without_a_queue_address_mail_goes_out_as_before,
);
