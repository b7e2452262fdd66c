//! A reader's answer lands on its submission by each of the three ways in (HTTP, the pipe,
//! IMAP), and by each matching rule; a forged token matches nothing.

use serde_json::{json, Value};

use super::{
    address_of, answer, encoded, ingest, message, post_mime, reader_message_id, record,
    spawn_inbound_app, REPLY_KEY,
};
use crate::helpers::{Answer, Backend, MailSink, ReceivedMail, SinkMode, TestApp};

/// A submission posted, its two e-mails taken at the SMTP listener, and it set to `waiting`.
async fn acknowledged(
    app: &TestApp,
    sink: &MailSink,
) -> (String, String, ReceivedMail, ReceivedMail) {
    let (reference, id) = app.submit("newsroom").await;
    let mails = sink.wait_for(2).await;
    let ack = mails
        .iter()
        .find(|m| m.to == ["zoe.martin@example.fr"])
        .unwrap()
        .clone();
    let team = mails
        .iter()
        .find(|m| m.to == ["redaction@localhost"])
        .unwrap()
        .clone();
    let editor = app.staff("editor").await;
    for status in ["open", "waiting"] {
        let resp = app
            .patch_as(&editor, &format!("/v1/submissions/{id}"))
            .json(&json!({ "status": status }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    (reference, id, ack, team)
}

/// What a landed answer must have done: on the thread with its quotes stripped, the
/// submission reopened with an event, the team told in the thread of its notification.
async fn landed(app: &TestApp, sink: &MailSink, id: &str, team: &ReceivedMail, already: usize) {
    let r = record(app, id).await;
    let messages = r["messages"].as_array().unwrap();
    let inbound: Vec<&Value> = messages
        .iter()
        .filter(|m| m["direction"] == "inbound")
        .collect();
    assert_eq!(inbound.len(), 1, "{messages:?}");
    let m = inbound[0];
    assert_eq!(m["body"], "Merci ! Voici la suite : la fuite continue.");
    assert_eq!(m["from"], "zoe.martin@example.fr");
    assert!(m["subject"].as_str().unwrap().starts_with("Re: "));
    assert_eq!(r["status"], "open");
    assert!(r["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "reopened_by_reply" && e["detail"]["from"] == "waiting"));
    // `replies` stays staff replies only.
    assert!(r["replies"].as_array().unwrap().is_empty());
    let mails = sink.wait_for(already + 1).await;
    let notice = mails
        .iter()
        .skip(already)
        .find(|m| m.to == ["redaction@localhost"])
        .expect("the team is told");
    assert_eq!(notice.header("In-Reply-To"), team.header("Message-ID"));
    assert!(notice.body("text/plain").contains("la fuite continue"));
    assert!(!notice.body("text/plain").contains("a écrit"));
    let deliveries = record(app, id).await["deliveries"].clone();
    assert!(
        deliveries
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["purpose"] == "reply_notice"),
        "the notice is filed as one: {deliveries}"
    );

    // The raw message, as received, for staff who may see the submission.
    let editor = app.staff("editor").await;
    let raw = app
        .get_as(
            &editor,
            &format!(
                "/v1/submissions/{id}/messages/{}/raw",
                m["id"].as_str().unwrap()
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 200);
    assert_eq!(raw.headers()["content-type"], "message/rfc822");
    let bytes = raw.bytes().await.unwrap();
    assert!(String::from_utf8_lossy(&bytes).contains("a écrit"));
}

async fn an_answer_posted_over_http_lands_on_its_submission(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app(b, sink.port).await;
    let (_, id, ack, team) = acknowledged(&app, &sink).await;
    let reply = answer(&ack, "Merci ! Voici la suite : la fuite continue.");
    let resp = post_mime(&app, &reply).await;
    assert_eq!(resp.status(), 202);
    let receipt: Value = resp.json().await.unwrap();
    assert_eq!(receipt["outcome"], "reply");
    landed(&app, &sink, &id, &team, 2).await;

    // The same message again (a retry of the service) is recognised and changes nothing.
    let again: Value = post_mime(&app, &reply).await.json().await.unwrap();
    assert_eq!(again["outcome"], "duplicate");
    assert_eq!(app.count("inbound_mail"), 1);
    assert_eq!(app.count("outbox"), 3);
}

async fn an_answer_piped_by_the_mta_lands_on_its_submission(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app(b, sink.port).await;
    let (_, id, ack, team) = acknowledged(&app, &sink).await;
    let reply = answer(&ack, "Merci ! Voici la suite : la fuite continue.");
    let (code, out) = ingest(&app.db.url, &reply, &[]);
    assert_eq!(code, 0, "{out}");
    // Committed before the exit status: the running instance's worker sends the notice.
    landed(&app, &sink, &id, &team, 2).await;
    let (code, out) = ingest(&app.db.url, &reply, &[]);
    assert_eq!((code, out.starts_with("duplicate")), (0, true), "{out}");
}

/// A message to the queue's plain address (no token), for the other rules.
fn to_queue(from: &str, subject: &str, extra: &[(&str, &str)]) -> Vec<u8> {
    let id = reader_message_id();
    let mut headers = vec![
        ("From", from),
        ("To", "<redaction@journal.example>"),
        ("Subject", subject),
        ("Message-ID", id.as_str()),
    ];
    headers.extend_from_slice(extra);
    message(&headers, "Merci ! Voici la suite : la fuite continue.")
}

async fn each_matching_rule_finds_the_submission_and_a_forged_token_nothing(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app(b, sink.port).await;
    let (reference, id, ack, _) = acknowledged(&app, &sink).await;
    let reader = "Zoé <zoe.martin@example.fr>";

    // In-Reply-To naming the acknowledgement, to the bare queue address.
    let parent = ack.header("Message-ID").unwrap();
    let by_thread = to_queue(reader, "Re: suite", &[("In-Reply-To", parent.as_str())]);
    let r: Value = post_mime(&app, &by_thread).await.json().await.unwrap();
    assert_eq!(
        (r["outcome"].as_str(), r["reference"].as_str()),
        (Some("reply"), Some(reference.as_str()))
    );

    // The reference in the subject, from the reader's own address (any case).
    let subject = format!("Ma demande {}", reference.to_lowercase());
    let by_subject = to_queue("ZOE.MARTIN@example.fr", &subject, &[]);
    let r: Value = post_mime(&app, &by_subject).await.json().await.unwrap();
    assert_eq!(r["outcome"], "reply", "{r}");

    // …but from anyone else, the subject matches nothing: a new submission of the queue.
    let stranger = to_queue(
        "Intrus <intrus@example.net>",
        &format!("Re: [{reference}]"),
        &[],
    );
    let r: Value = post_mime(&app, &stranger).await.json().await.unwrap();
    assert_eq!(r["outcome"], "new_submission", "{r}");
    assert_ne!(r["reference"].as_str(), Some(reference.as_str()));

    // A token signed with another key, or altered, matches nothing either.
    let foreign = courrier::mail::reply_token::ReplyKey::new("some other deployment's key!");
    let forged = format!("<redaction+{}@journal.example>", foreign.token(&reference));
    let mut genuine = address_of(&ack.header("Reply-To").unwrap());
    let altered = genuine.replace(&reference.replace('-', "").to_lowercase()[..8], "0000zzzz");
    for to in [forged, format!("<{altered}>")] {
        let m = message(
            &[
                ("From", "Intrus <intrus@example.net>"),
                ("To", &to),
                ("Subject", "Re: votre message"),
                ("Message-ID", &reader_message_id()),
            ],
            "Je me fais passer pour le lecteur.",
        );
        let r: Value = post_mime(&app, &m).await.json().await.unwrap();
        assert_eq!(r["outcome"], "new_submission", "{to}: {r}");
    }
    // The genuine token, in upper case, delivered to a Delivered-To header only.
    genuine = genuine.to_uppercase();
    let m = message(
        &[
            ("From", reader),
            ("To", "undisclosed-recipients:;"),
            ("Delivered-To", &genuine),
            ("Subject", &encoded("Re: é")),
            ("Message-ID", &reader_message_id()),
        ],
        "Encore moi.",
    );
    let r: Value = post_mime(&app, &m).await.json().await.unwrap();
    assert_eq!(r["reference"].as_str(), Some(reference.as_str()), "{r}");

    let thread = record(&app, &id).await;
    let inbound = thread["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "inbound")
        .count();
    assert_eq!(inbound, 3);
    let _ = REPLY_KEY;
}

async fn a_sales_account_never_sees_an_inbound_message_on_an_editorial_submission(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app(b, sink.port).await;
    let (_, id, ack, _) = acknowledged(&app, &sink).await;
    let r: Value = post_mime(
        &app,
        &answer(&ack, "Merci ! Voici la suite : la fuite continue."),
    )
    .await
    .json()
    .await
    .unwrap();
    let sales = app.staff("sales").await;
    let raw = format!(
        "/v1/submissions/{id}/messages/{}/raw",
        r["id"].as_str().unwrap()
    );
    assert_eq!(app.get_as(&sales, &raw).status_code().await, 404);
    assert_eq!(
        app.get_as(&sales, &format!("/v1/submissions/{id}"))
            .status_code()
            .await,
        404
    );
    let editor = app.staff("editor").await;
    assert_eq!(app.get_as(&editor, &raw).status_code().await, 200);
    // Another submission's id with this message's id: nothing.
    let (_, other) = app.submit("newsroom").await;
    let elsewhere = format!(
        "/v1/submissions/{other}/messages/{}/raw",
        r["id"].as_str().unwrap()
    );
    assert_eq!(app.get_as(&editor, &elsewhere).status_code().await, 404);
}

crate::on_both_backends!(
    an_answer_posted_over_http_lands_on_its_submission,
    an_answer_piped_by_the_mta_lands_on_its_submission,
    each_matching_rule_finds_the_submission_and_a_forged_token_nothing,
    a_sales_account_never_sees_an_inbound_message_on_an_editorial_submission,
);
