//! The export (Art. 15 and 20): everything the address sent or received, never others' tips
//! that mention it; notes with or without their text; audited without the address.

use serde_json::{json, Value};

use super::{app, app_with, count_where, populate, post, traces_elsewhere, Person};
use crate::helpers::{
    log_path, newsroom_body, Answer, Backend, MailSink, SinkMode, Staff, TestApp,
};

pub async fn export(app: &TestApp, admin: &Staff, email: &str) -> Value {
    app.post_as(admin, "/v1/privacy/exports")
        .json(&json!({ "email": email }))
        .json_ok()
        .await
}

fn by_reference<'a>(doc: &'a Value, reference: &str) -> &'a Value {
    doc["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["reference"] == reference)
        .unwrap_or_else(|| panic!("{reference} is in the export: {doc}"))
}

async fn the_export_holds_everything_the_address_sent_or_received(b: Backend) {
    let (app, sink) = app(b).await;
    let admin = app.staff("admin").await;
    let person = Person::new();
    let history = populate(&app, &sink, &admin, &person).await;
    // Another reader's tip about them: not theirs to take.
    let mut tip = newsroom_body();
    tip["message"] = json!(format!(
        "{} ({}) detourne des fonds.",
        person.name, person.email
    ));
    let others = post(&app, "newsroom", &tip).await;
    // What they wrote into that tip's thread, and a stray bounce naming them.
    traces_elsewhere(&app, &sink, &person, &others).await;

    let doc = export(&app, &admin, &person.email.to_uppercase()).await;
    assert_eq!(doc["email"], person.email.to_lowercase());
    assert!(doc["generated_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(doc["notes_text_included"], true);
    let submissions = doc["submissions"].as_array().unwrap();
    assert_eq!(submissions.len(), 2, "{doc}");
    assert!(
        submissions.iter().all(|s| s["reference"] != others),
        "another reader's tip is left out"
    );

    let tip = by_reference(&doc, &history.newsroom);
    assert_eq!(tip["name"], person.name);
    assert_eq!(tip["message"], person.message);
    assert_eq!(tip["phone"], person.phone);
    assert_eq!(tip["consent"]["given"], true);
    assert!(tip["consent"]["version"].is_string());
    assert!(tip["consent"]["text_sha256"].is_string());
    let notes = tip["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["body"], history.note);
    assert_eq!(notes[0]["author_id"], admin.id);
    assert!(notes[0]["created_at"].is_string());
    let messages = tip["messages"].as_array().unwrap();
    assert!(
        messages
            .iter()
            .any(|m| m["direction"] == "inbound" && m["body"] == person.answer),
        "their answer by e-mail: {messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m["direction"] == "outbound" && m["body"] == history.reply),
        "the staff reply: {messages:?}"
    );
    assert_eq!(tip["replies"].as_array().unwrap().len(), 1);
    let deliveries = tip["deliveries"].as_array().unwrap();
    assert!(
        deliveries
            .iter()
            .any(|d| d["purpose"] == "reader_ack" && d["status"] == "sent"),
        "e-mail delivery states: {deliveries:?}"
    );
    // Issue 21, finding 6: the mail they sent that is on no submission of theirs: the message
    // that matched nothing, and the one that joined another reader's thread (not that thread).
    let mail = doc["mail"].as_array().expect("a list of their other mail");
    let bodies: Vec<&str> = mail.iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(mail.len(), 2, "{mail:#?}");
    assert!(
        bodies.iter().any(|b| b.contains(&person.unmatched)),
        "{bodies:?}"
    );
    assert!(
        bodies.iter().any(|b| b.contains(&person.elsewhere)),
        "{bodies:?}"
    );
    assert!(mail.iter().all(|m| m["from"] == person.email.to_lowercase()
        && m["received_at"].as_str().unwrap().ends_with('Z')));
    assert!(
        !doc.to_string().contains("User unknown"),
        "the bounce is not theirs"
    );
    assert!(
        !doc.to_string().contains(&others),
        "nor is the other thread"
    );
    let lead = by_reference(&doc, &history.sales);
    assert_eq!(lead["organisation"], person.organisation);
    assert_eq!(lead["marketing_opt_in"], true);
    assert_eq!(lead["marketing_withdrawn_at"], Value::Null);

    // Audited, without the address; the request's body is not logged either.
    let audit = format!(
        "events WHERE kind = 'privacy_export' AND actor = '{}' AND submission_id IS NULL \
         AND detail LIKE '%{}%' AND lower(detail) NOT LIKE '%{}%'",
        admin.id,
        history.newsroom,
        person.email.to_lowercase()
    );
    assert_eq!(count_where(&app, &audit), 1);
    if std::env::var("TEST_LOG").is_err() {
        let log = std::fs::read_to_string(log_path()).unwrap().to_lowercase();
        assert!(
            !log.contains(&person.email.to_lowercase()),
            "the address is logged"
        );
    }
}

async fn the_export_can_hold_back_the_text_of_notes(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = app_with(b, &sink, |s| s.privacy.export_note_text = false).await;
    let admin = app.staff("admin").await;
    let person = Person::new();
    let reference = post(&app, "newsroom", &person.newsroom()).await;
    let resp = app
        .post_as(&admin, &format!("/v1/submissions/{reference}/notes"))
        .json(&json!({ "body": "Source fiable, a rappeler" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let doc = export(&app, &admin, &person.email).await;
    assert_eq!(doc["notes_text_included"], false);
    let notes = doc["submissions"][0]["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "the note is still listed");
    assert_eq!(notes[0]["body"], "");
    assert_eq!(notes[0]["author_id"], admin.id);
    assert!(notes[0]["created_at"].is_string());
    assert!(!doc.to_string().contains("Source fiable"));
}

async fn an_address_that_sent_nothing_exports_nothing(b: Backend) {
    let (app, _sink) = app(b).await;
    let admin = app.staff("admin").await;
    post(&app, "newsroom", &newsroom_body()).await;
    let doc = export(&app, &admin, "personne@exemple.org").await;
    assert_eq!(doc["submissions"], json!([]));
    assert_eq!(doc["mail"], json!([]));
}

crate::on_both_backends!(
    the_export_holds_everything_the_address_sent_or_received,
    the_export_can_hold_back_the_text_of_notes,
    an_address_that_sent_nothing_exports_nothing,
);
