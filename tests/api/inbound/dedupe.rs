//! Which message is a second delivery of one already stored (issue 21): the same Message-ID from
//! the same sender with the same recipients, subject and body. A message planted under someone
//! else's Message-ID no longer makes the genuine one be dropped.

use courrier::db::inbound_mail::{self, Effects, InboundMailRow};
use serde_json::Value;

use super::{answer, ingest, message, post_mime, reader_message_id, record, spawn_inbound_app};
use crate::helpers::{Backend, MailSink, SinkMode};

/// The raw message with one header's value replaced.
fn with_header(raw: &[u8], name: &str, value: &str) -> Vec<u8> {
    let text = String::from_utf8(raw.to_vec()).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let head: Vec<String> = head
        .split("\r\n")
        .map(|l| match l.split_once(':') {
            Some((n, _)) if n.eq_ignore_ascii_case(name) => format!("{name}: {value}"),
            _ => l.to_owned(),
        })
        .collect();
    format!("{}\r\n\r\n{body}", head.join("\r\n")).into_bytes()
}

async fn outcome(app: &crate::helpers::TestApp, raw: &[u8]) -> String {
    let r: Value = post_mime(app, raw).await.json().await.unwrap();
    r["outcome"].as_str().unwrap().to_owned()
}

async fn a_planted_message_id_does_not_drop_the_genuine_message(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app(b, sink.port).await;
    let (_, id) = app.submit("newsroom").await;
    let mails = sink.wait_for(2).await;
    let ack = mails
        .iter()
        .find(|m| m.to == ["zoe.martin@example.fr"])
        .unwrap();
    let genuine = answer(ack, "La vraie réponse.");
    // Planted first under the genuine message's Message-ID: from another sender, and from the
    // same (forged) sender with other words.
    let other_sender = with_header(&genuine, "From", "Mallory <mallory@example.net>");
    assert_eq!(outcome(&app, &other_sender).await, "reply");
    let forged = answer(ack, "Une fausse réponse.");
    let message_id = String::from_utf8_lossy(&genuine)
        .lines()
        .find_map(|l| l.strip_prefix("Message-ID: ").map(str::to_owned))
        .unwrap();
    let forged = with_header(&forged, "Message-ID", &message_id);
    assert_eq!(outcome(&app, &forged).await, "reply");
    assert_eq!(outcome(&app, &genuine).await, "reply");
    let bodies: Vec<String> = record(&app, &id).await["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        bodies.iter().any(|b| b == "La vraie réponse."),
        "{bodies:?}"
    );

    // A second delivery of it is still one: by the route again, and by the pipe with the
    // mbox line and LF line ends an MTA's pipe gives.
    assert_eq!(outcome(&app, &genuine).await, "duplicate");
    let mut piped = b"From zoe.martin@example.fr Tue Dec  1 10:05:00 2026\n".to_vec();
    piped.extend(
        String::from_utf8_lossy(&genuine)
            .replace("\r\n", "\n")
            .bytes(),
    );
    let (code, out) = ingest(&app.db.url, &piped, &[]);
    assert_eq!((code, out.starts_with("duplicate")), (0, true), "{out}");
    assert_eq!(app.count("inbound_mail"), 3);
}

async fn a_message_stored_when_the_key_was_its_message_id_is_still_recognised(b: Backend) {
    let app = spawn_inbound_app(b, crate::helpers::free_port()).await;
    let message_id = reader_message_id();
    let raw = message(
        &[
            ("From", "Jean Lecteur <jean@example.org>"),
            ("To", "<quelquun@ailleurs.example>"),
            ("Subject", "Bonjour"),
            ("Message-ID", &message_id),
        ],
        "Bonjour.",
    );
    // Stored before this version: its key the bare Message-ID.
    let row = InboundMailRow {
        id: uuid::Uuid::now_v7().to_string(),
        submission_id: None,
        dedupe_key: message_id.clone(),
        message_id: Some(message_id.clone()),
        sender: "jean@example.org".into(),
        recipients: "quelquun@ailleurs.example".into(),
        subject: "Bonjour".into(),
        full_text: "Bonjour.".into(),
        body: "Bonjour.".into(),
        attachments: "[]".into(),
        raw: raw.clone(),
        outcome: "unmatched".into(),
        reason: Some("no_queue_address".into()),
        created_at: chrono::Utc::now().naive_utc(),
    };
    app.with_conn(|c| inbound_mail::store(c, &row, &Effects::default()).unwrap());
    assert_eq!(outcome(&app, &raw).await, "duplicate");
    let planted = with_header(&raw, "From", "Mallory <mallory@example.net>");
    assert_eq!(outcome(&app, &planted).await, "unmatched");
    assert_eq!(app.count("inbound_mail"), 2);
}

crate::on_both_backends!(
    a_planted_message_id_does_not_drop_the_genuine_message,
    a_message_stored_when_the_key_was_its_message_id_is_still_recognised,
);
