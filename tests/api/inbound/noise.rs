//! Loops, noise and bounces: stored and explained, never acknowledged nor notified; delivery
//! reports mark the e-mail they are about, and a permanent failure holds further mail.

use serde_json::{json, Value};

use super::{
    answer, ingest, message, post_mime, reader_message_id, record, spawn_inbound_app,
    spawn_inbound_app_with,
};
use crate::helpers::{Backend, MailSink, ReceivedMail, SinkMode, TestApp};

async fn acknowledged(app: &TestApp, sink: &MailSink) -> (String, String, ReceivedMail) {
    let (reference, id) = app.submit("newsroom").await;
    let mails = sink.wait_for(2).await;
    let ack = mails
        .iter()
        .find(|m| m.to == ["zoe.martin@example.fr"])
        .unwrap()
        .clone();
    (reference, id, ack)
}

/// A bounce as Postfix writes it about one of our e-mails.
fn postfix_bounce(original: &ReceivedMail, status: &str, action: &str) -> Vec<u8> {
    let headers = original.raw_headers();
    format!(
        "Return-Path: <>\r\n\
         From: MAILER-DAEMON@mx.journal.example (Mail Delivery System)\r\n\
         To: redaction@journal.example\r\n\
         Subject: Undelivered Mail Returned to Sender\r\n\
         Auto-Submitted: auto-replied\r\n\
         Message-ID: <20261201100500.ABC{n}@mx.journal.example>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status;\r\n\
         \tboundary=\"B0UND/mx.journal.example\"\r\n\r\n\
         This is a MIME-encapsulated message.\r\n\r\n\
         --B0UND/mx.journal.example\r\n\
         Content-Description: Notification\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\r\n\
         This is the mail system at host mx.journal.example.\r\n\r\n\
         I'm sorry to have to inform you that your message could not\r\n\
         be delivered to one or more recipients.\r\n\r\n\
         <zoe.martin@example.fr>: host mx.example.fr said: 550 5.1.1 User unknown\r\n\r\n\
         --B0UND/mx.journal.example\r\n\
         Content-Description: Delivery report\r\n\
         Content-Type: message/delivery-status\r\n\r\n\
         Reporting-MTA: dns; mx.journal.example\r\n\
         X-Postfix-Queue-ID: 4F2A81C0A3\r\n\
         Arrival-Date: Tue,  1 Dec 2026 10:04:58 +0100 (CET)\r\n\r\n\
         Final-Recipient: rfc822; zoe.martin@example.fr\r\n\
         Original-Recipient: rfc822;zoe.martin@example.fr\r\n\
         Action: {action}\r\n\
         Status: {status}\r\n\
         Remote-MTA: dns; mx.example.fr\r\n\
         Diagnostic-Code: smtp; 550 {status} <zoe.martin@example.fr>: Recipient address\r\n\
         \x20   rejected: User unknown in virtual mailbox table\r\n\r\n\
         --B0UND/mx.journal.example\r\n\
         Content-Description: Undelivered Message Headers\r\n\
         Content-Type: text/rfc822-headers\r\n\r\n\
         {headers}\r\n\
         --B0UND/mx.journal.example--\r\n",
        n = uuid::Uuid::new_v4().simple()
    )
    .into_bytes()
}

async fn a_permanent_bounce_marks_the_email_and_holds_further_mail(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app(b, sink.port).await;
    let (_, id, ack) = acknowledged(&app, &sink).await;
    let r: Value = post_mime(&app, &postfix_bounce(&ack, "5.1.1", "failed"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (r["outcome"].as_str(), r["reason"].as_str()),
        (Some("bounce"), Some("permanent_failure"))
    );
    let rec = record(&app, &id).await;
    let delivery = rec["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["purpose"] == "reader_ack")
        .unwrap()
        .clone();
    assert_eq!(delivery["status"], "bounced");
    assert_eq!(delivery["bounce_status"], "5.1.1");
    assert!(delivery["bounce_diagnostic"]
        .as_str()
        .unwrap()
        .contains("User unknown"));
    let said = rec["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["direction"] == "inbound")
        .unwrap()
        .clone();
    assert!(
        said["body"].as_str().unwrap().contains("held, not sent"),
        "{said}"
    );
    // Nobody is told of a bounce, and the submission stays as it was.
    assert_eq!(rec["status"], "new");
    assert_eq!(app.count("outbox"), 2);

    // A staff reply to that address is kept but not sent, and says so.
    let editor = app.staff("editor").await;
    let resp = app
        .post_as(&editor, &format!("/v1/submissions/{id}/replies"))
        .json(&json!({"body": "Pouvez-vous nous donner une autre adresse ?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    app.dispatch_all_pending().await;
    let rec = record(&app, &id).await;
    let reply = rec["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["purpose"] == "staff_reply")
        .unwrap()
        .clone();
    assert_eq!(reply["status"], "held");
    assert_eq!(reply["held_reason"], "reader_address_bounced");
    assert_eq!(sink.all().len(), 2, "nothing more left");
}

async fn a_delay_report_changes_nothing(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app(b, sink.port).await;
    let (_, id, ack) = acknowledged(&app, &sink).await;
    let r: Value = post_mime(&app, &postfix_bounce(&ack, "4.4.1", "delayed"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["reason"], "delivery_delayed");
    let rec = record(&app, &id).await;
    assert!(rec["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["status"] == "sent" && d["bounce_status"].is_null()));
}

/// A sender, its extra headers, and the reason it must be given.
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

async fn automatic_and_bulk_mail_is_stored_and_triggers_nothing(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app(b, sink.port).await;
    let (_, id, ack) = acknowledged(&app, &sink).await;
    let parent = ack.header("Message-ID").unwrap();

    // An out-of-office answer to the acknowledgement: shown on the thread, nothing else.
    let away = message(
        &[
            ("From", "Zoé Martin <zoe.martin@example.fr>"),
            ("To", "<redaction@journal.example>"),
            ("Subject", "Réponse automatique : Votre message"),
            ("Auto-Submitted", "auto-replied"),
            ("X-Autoreply", "yes"),
            ("In-Reply-To", &parent),
            ("Message-ID", &reader_message_id()),
        ],
        "Je suis absente jusqu'au 15 décembre.",
    );
    let r: Value = post_mime(&app, &away).await.json().await.unwrap();
    assert_eq!(r["reason"], "out_of_office", "{r}");
    let rec = record(&app, &id).await;
    let shown = rec["messages"].as_array().unwrap();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0]["note"], "out_of_office");
    assert_eq!(rec["status"], "new");

    // Bulk, list and null-sender mail to the queue's address: kept, no submission, no mail.
    let cases: [Case; 4] = [
        ("news@lettre.example", &[("Precedence", "bulk")], "bulk"),
        (
            "liste@lists.example",
            &[("List-Id", "<infos.lists.example>")],
            "mailing_list",
        ),
        ("MAILER-DAEMON@mx.example", &[], "null_sender"),
        (
            "robot@example.org",
            &[("Auto-Submitted", "auto-generated")],
            "auto_submitted",
        ),
    ];
    for (from, extra, reason) in cases {
        let mut headers = vec![
            ("From", from),
            ("To", "<redaction@journal.example>"),
            ("Subject", "Notre lettre d'information"),
        ];
        let mid = reader_message_id();
        headers.push(("Message-ID", &mid));
        headers.extend_from_slice(extra);
        let r: Value = post_mime(&app, &message(&headers, "Bonjour à tous"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            (r["outcome"].as_str(), r["reason"].as_str()),
            (Some("unmatched"), Some(reason))
        );
    }
    // One of our own e-mails coming back (a forwarding loop).
    let r: Value = post_mime(&app, &ack.raw).await.json().await.unwrap();
    assert_eq!(
        (r["outcome"].as_str(), r["reason"].as_str()),
        (Some("ignored"), Some("own_message"))
    );

    assert_eq!(app.count("submissions"), 1);
    assert_eq!(app.count("outbox"), 2, "no acknowledgement, no notice");
    assert_eq!(app.count("inbound_mail"), 6);
}

async fn past_the_per_sender_limit_mail_is_stored_but_triggers_nothing(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app_with(b, sink.port, |s| s.inbound.per_sender_per_hour = 2).await;
    let (_, id, ack) = acknowledged(&app, &sink).await;
    let mut reasons = Vec::new();
    for i in 0..3 {
        let r: Value = post_mime(&app, &answer(&ack, &format!("Message numéro {i}")))
            .await
            .json()
            .await
            .unwrap();
        reasons.push(r["reason"].clone());
    }
    assert_eq!(reasons, [Value::Null, Value::Null, json!("sender_limit")]);
    assert_eq!(app.count("inbound_mail"), 3);
    // Two notices, not three.
    assert_eq!(app.count("outbox"), 4);
    let rec = record(&app, &id).await;
    assert_eq!(rec["messages"].as_array().unwrap().len(), 3);
}

/// The per-sender count is the database's, so every instance and every `mail ingest` process
/// (one per message, as Postfix's pipe runs it) draws from the same one.
async fn the_per_sender_limit_is_one_count_across_processes_and_ways_in(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app_with(b, sink.port, |s| s.inbound.per_sender_per_hour = 2).await;
    let (_, id, ack) = acknowledged(&app, &sink).await;
    let r: Value = post_mime(&app, &answer(&ack, "Par le web."))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["reason"], Value::Null);
    let limit = [("COURRIER__INBOUND__PER_SENDER_PER_HOUR", "2")];
    let (code, out) = ingest(&app.db.url, &answer(&ack, "Par le pipe."), &limit);
    assert_eq!((code, out.split('\t').nth(1)), (0, Some("-")), "{out}");
    // A third message, in a third process: past the limit, stored, and still exit 0 (a 75
    // would have the MTA feed a loop again).
    let (code, out) = ingest(&app.db.url, &answer(&ack, "Encore."), &limit);
    assert_eq!(
        (code, out.split('\t').take(2).collect::<Vec<_>>()),
        (0, vec!["ignored", "sender_limit"]),
        "{out}"
    );
    assert_eq!(app.count("inbound_mail"), 3);
    // Two notices, not three.
    assert_eq!(app.count("outbox"), 4);
    assert_eq!(
        record(&app, &id).await["messages"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

crate::on_both_backends!(
    the_per_sender_limit_is_one_count_across_processes_and_ways_in,
    a_permanent_bounce_marks_the_email_and_holds_further_mail,
    a_delay_report_changes_nothing,
    automatic_and_bulk_mail_is_stored_and_triggers_nothing,
    past_the_per_sender_limit_mail_is_stored_but_triggers_nothing,
);
