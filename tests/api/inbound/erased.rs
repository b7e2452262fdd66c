//! Mail to a submission that is gone (issue 21, finding 13): erased or purged before the answer
//! came, or erased while it was being stored. It is kept as unmatched, never refused and never
//! handed back to be tried again.

use diesel::connection::SimpleConnection;
use serde_json::{json, Value};

use super::{answer, ingest, post_mime, spawn_inbound_app};
use crate::helpers::{Answer, Backend, MailSink, ReceivedMail, SinkMode, TestApp};

/// A submitted newsroom form and the acknowledgement its reader received.
async fn submitted(app: &TestApp, sink: &MailSink) -> (String, ReceivedMail) {
    let (_, id) = app.submit("newsroom").await;
    let mails = sink.wait_for(2).await;
    let ack = mails
        .iter()
        .find(|m| m.to == ["zoe.martin@example.fr"])
        .unwrap()
        .clone();
    (id, ack)
}

async fn an_answer_to_an_erased_submission_is_kept_as_unmatched(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app(b, sink.port).await;
    let (_, ack) = submitted(&app, &sink).await;
    let admin = app.staff("admin").await;
    app.post_as(&admin, "/v1/privacy/erasures")
        .json(&json!({ "email": "zoe.martin@example.fr" }))
        .json_ok()
        .await;
    assert_eq!(app.count("submissions"), 0);
    // To the erased submission's own reply address: not a new submission of the reader's.
    let r: Value = post_mime(&app, &answer(&ack, "Encore une chose."))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (r["outcome"].as_str(), r["reason"].as_str()),
        (Some("unmatched"), Some("submission_gone")),
        "{r}"
    );
    let (code, out) = ingest(&app.db.url, &answer(&ack, "Et une autre."), &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("unmatched\tsubmission_gone"), "{out}");
    assert_eq!(app.count("submissions"), 0);
    assert_eq!(app.count("inbound_mail"), 2);
}

/// Deletes a submission the moment a message is stored against it, in the storing transaction,
/// before the row goes in: what an erasure committing between the match and the write does.
fn erase_on_store(app: &TestApp, b: Backend) {
    let sql = if b == Backend::Sqlite {
        "CREATE TRIGGER erase_on_store BEFORE INSERT ON inbound_mail \
         WHEN NEW.submission_id IS NOT NULL BEGIN \
           DELETE FROM messages WHERE submission_id = NEW.submission_id; \
           DELETE FROM submissions WHERE id = NEW.submission_id; \
         END;"
    } else {
        "CREATE FUNCTION erase_on_store() RETURNS trigger AS $$ BEGIN \
           DELETE FROM messages WHERE submission_id = NEW.submission_id; \
           DELETE FROM submissions WHERE id = NEW.submission_id; \
           RETURN NEW; \
         END $$ LANGUAGE plpgsql; \
         CREATE TRIGGER erase_on_store BEFORE INSERT ON inbound_mail \
           FOR EACH ROW WHEN (NEW.submission_id IS NOT NULL) EXECUTE FUNCTION erase_on_store();"
    };
    app.with_conn(|c| c.batch_execute(sql).unwrap());
}

async fn an_answer_stored_while_its_submission_is_erased_is_kept_as_unmatched(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app(b, sink.port).await;
    let (_, ack) = submitted(&app, &sink).await;
    erase_on_store(&app, b);
    let resp = post_mime(&app, &answer(&ack, "Encore une chose.")).await;
    assert_eq!(resp.status(), 202);
    let r: Value = resp.json().await.unwrap();
    assert_eq!(
        (r["outcome"].as_str(), r["reason"].as_str()),
        (Some("unmatched"), Some("submission_gone")),
        "{r}"
    );
    let (code, out) = ingest(&app.db.url, &answer(&ack, "Et une autre."), &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("unmatched\tsubmission_gone"), "{out}");
    assert_eq!(app.count("inbound_mail"), 2);
}

crate::on_both_backends!(
    an_answer_to_an_erased_submission_is_kept_as_unmatched,
    an_answer_stored_while_its_submission_is_erased_is_kept_as_unmatched,
);
