//! Issue 22, item 3, through the API: a reply leaves the version alone; a stale `version`
//! conflicts only on a field changed since (a reader's reopening included), others merge;
//! `If-Match` stays strict.

use serde_json::{json, Value};

use super::{detail, patch, reply, staff_replies};
use crate::helpers::{spawn_app_without_worker, Backend};
use crate::on_both_backends;

async fn a_reply_does_not_move_the_version(b: Backend) {
    let app = spawn_app_without_worker(b, 9).await;
    let editor = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    patch(&app, &editor, &reference, json!({"status": "open"})).await;
    let before = app
        .get_as(&editor, &format!("/v1/submissions/{reference}"))
        .send()
        .await
        .unwrap();
    let etag = before.headers()["etag"].to_str().unwrap().to_owned();
    let before: Value = before.json().await.unwrap();
    assert_eq!(
        reply(&app, &editor, &reference, json!({"body": "Bien reçu."}))
            .await
            .status(),
        201
    );
    let after = app
        .get_as(&editor, &format!("/v1/submissions/{reference}"))
        .send()
        .await
        .unwrap();
    assert_eq!(after.headers()["etag"].to_str().unwrap(), etag);
    let after: Value = after.json().await.unwrap();
    assert_eq!(after["version"], before["version"]);
    assert_eq!(after["updated_at"], before["updated_at"]);
    // So an `If-Match` read before the reply still holds.
    let resp = app
        .patch_as(&editor, &format!("/v1/submissions/{reference}"))
        .header("If-Match", &etag)
        .json(&json!({"priority": "high"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

async fn changes_to_other_fields_merge_and_the_same_field_conflicts(b: Backend) {
    let app = spawn_app_without_worker(b, 9).await;
    let alice = app.staff("editor").await;
    let bob = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    patch(&app, &alice, &reference, json!({"status": "open"})).await;
    let seen = detail(&app, &alice, &reference).await["version"]
        .as_i64()
        .unwrap();

    // Bob changes the priority; Alice, from the version she read, assigns herself: merged.
    let resp = patch(
        &app,
        &bob,
        &reference,
        json!({"priority": "high", "version": seen}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let resp = patch(
        &app,
        &alice,
        &reference,
        json!({"assignee": "me", "version": seen}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let d = detail(&app, &alice, &reference).await;
    assert_eq!(d["priority"], "high");
    assert_eq!(d["assignee_id"], alice.id.as_str());
    assert_eq!(d["version"], seen + 2);

    // The priority, changed since, is a conflict; so is a reply's status after Bob's move.
    let resp = patch(
        &app,
        &alice,
        &reference,
        json!({"priority": "low", "version": seen}),
    )
    .await;
    assert_eq!(resp.status(), 409);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "version_conflict");
    assert_eq!(body["current_version"], seen + 2);
    let moved = patch(
        &app,
        &bob,
        &reference,
        json!({"status": "waiting", "version": seen + 2}),
    )
    .await;
    assert_eq!(moved.status(), 200);
    let resp = reply(
        &app,
        &alice,
        &reference,
        json!({"body": "Clos.", "status": "resolved", "version": seen + 2}),
    )
    .await;
    assert_eq!(resp.status(), 409);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "version_conflict"
    );
    assert_eq!(staff_replies(&app), 0, "nothing sent");
    // Asking for what the field already is changes nothing, and conflicts with nothing.
    let resp = patch(
        &app,
        &alice,
        &reference,
        json!({"priority": "high", "version": seen}),
    )
    .await;
    assert_eq!(resp.status(), 200);

    // `If-Match` stays strict: any change since is 412, overlapping or not.
    let resp = app
        .patch_as(&alice, &format!("/v1/submissions/{reference}"))
        .header("If-Match", format!("\"{seen}\""))
        .json(&json!({"legal_hold": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 412);
    assert_eq!(detail(&app, &alice, &reference).await["legal_hold"], false);
    // A version from the future conflicts too.
    let resp = patch(
        &app,
        &alice,
        &reference,
        json!({"legal_hold": true, "version": seen + 100}),
    )
    .await;
    assert_eq!(resp.status(), 409);
}

/// A reader's answer reopens the submission and joins the thread: a reply written before it is
/// held back, but an assignment from the version read before it merges.
async fn a_readers_answer_is_a_new_item_and_its_reopening_merges(b: Backend) {
    use crate::helpers::{MailSink, SinkMode};
    use crate::inbound::{answer, post_mime, spawn_inbound_app};
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    let mails = sink.wait_for(2).await;
    let ack = mails
        .iter()
        .find(|m| m.to == ["zoe.martin@example.fr"])
        .unwrap()
        .clone();
    for status in ["open", "waiting"] {
        patch(&app, &editor, &reference, json!({ "status": status })).await;
    }
    let seen = detail(&app, &editor, &reference).await;
    let resp = post_mime(&app, &answer(&ack, "La fuite continue.")).await;
    assert_eq!(resp.status(), 202);
    let now = detail(&app, &editor, &reference).await;
    assert_eq!(now["status"], "open");

    let resp = reply(
        &app,
        &editor,
        &reference,
        json!({"body": "Nous revenons vers vous.", "thread_seen": ""}),
    )
    .await;
    assert_eq!(resp.status(), 409);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["items"], now["messages"]);
    assert_eq!(body["items"][0]["direction"], "inbound");

    let resp = patch(
        &app,
        &editor,
        &reference,
        json!({"assignee": "me", "version": seen["version"]}),
    )
    .await;
    assert_eq!(resp.status(), 200, "the reopening touched the status only");
}

on_both_backends!(
    a_reply_does_not_move_the_version,
    changes_to_other_fields_merge_and_the_same_field_conflicts,
    a_readers_answer_is_a_new_item_and_its_reopening_merges,
);
