//! Issue 22, items 2 and 3, through the API: one composer (the reply sets the status and the
//! assignee in one transaction; an illegal move sends nothing; the first act opens a `new`
//! submission; `waiting` → `resolved`), no unseen collision (`thread_seen`), and changes that
//! do not overlap merge while `If-Match` stays strict.

use serde_json::{json, Value};

use crate::helpers::{spawn_app_without_worker, Answer, Backend, Staff, TestApp};
use crate::on_both_backends;

mod merge;

pub async fn detail(app: &TestApp, who: &Staff, key: &str) -> Value {
    app.get_as(who, &format!("/v1/submissions/{key}"))
        .json_ok()
        .await
}

pub async fn reply(app: &TestApp, who: &Staff, key: &str, body: Value) -> reqwest::Response {
    app.post_as(who, &format!("/v1/submissions/{key}/replies"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

pub async fn patch(app: &TestApp, who: &Staff, key: &str, body: Value) -> reqwest::Response {
    app.patch_as(who, &format!("/v1/submissions/{key}"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

pub fn staff_replies(app: &TestApp) -> i64 {
    app.count("outbox WHERE purpose = 'staff_reply'")
}

/// The `changed` events of one field, as the detail lists them.
fn changes(d: &Value, field: &str) -> Vec<Value> {
    d["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "changed" && e["detail"]["field"] == field)
        .cloned()
        .collect()
}

async fn a_reply_sets_the_status_and_the_assignee_in_one_post(b: Backend) {
    let app = spawn_app_without_worker(b, 9).await;
    let editor = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    let before = detail(&app, &editor, &reference).await;
    assert_eq!(before["status"], "new");
    let resp = reply(
        &app,
        &editor,
        &reference,
        json!({"body": "Merci, nous enquêtons.", "status": "waiting", "assignee": "me",
               "thread_seen": ""}),
    )
    .await;
    assert_eq!(resp.status(), 201);
    let after = detail(&app, &editor, &reference).await;
    assert_eq!(after["status"], "waiting");
    assert_eq!(after["assignee_id"], editor.id.as_str());
    assert_eq!(after["messages"].as_array().unwrap().len(), 1);
    assert_eq!(staff_replies(&app), 1);
    // The first act opened it, audited as the staff member's own change, then the reply's
    // move: one change, one new version.
    let moves = changes(&after, "status");
    assert_eq!(moves.len(), 2, "{moves:?}");
    assert_eq!(moves[0]["detail"]["from"], "new");
    assert_eq!(moves[0]["detail"]["to"], "open");
    assert_eq!(moves[0]["actor"], editor.id.as_str());
    assert_eq!(moves[1]["detail"]["to"], "waiting");
    assert_eq!(after["version"], before["version"].as_i64().unwrap() + 1);

    // A reader's answer settles it: `waiting` → `resolved`, with the reply, and unassigned.
    let resp = reply(
        &app,
        &editor,
        &reference,
        json!({"body": "Affaire close.", "status": "resolved", "assignee": null}),
    )
    .await;
    assert_eq!(resp.status(), 201);
    let closed = detail(&app, &editor, &reference).await;
    assert_eq!(closed["status"], "resolved");
    assert!(closed["assignee_id"].is_null());
    assert_eq!(staff_replies(&app), 2);
}

async fn an_illegal_move_sends_nothing(b: Backend) {
    let app = spawn_app_without_worker(b, 9).await;
    let editor = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    for status in ["open", "resolved"] {
        assert_eq!(
            patch(&app, &editor, &reference, json!({ "status": status }))
                .await
                .status(),
            200
        );
    }
    let before = detail(&app, &editor, &reference).await;
    let resp = reply(
        &app,
        &editor,
        &reference,
        json!({"body": "Une relance.", "status": "waiting", "assignee": "me"}),
    )
    .await;
    assert_eq!(resp.status(), 409);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "illegal_transition");
    assert_eq!(body["allowed"], json!(["open", "spam"]));
    let after = detail(&app, &editor, &reference).await;
    assert_eq!(staff_replies(&app), 0, "no outbox row");
    assert!(
        after["messages"].as_array().unwrap().is_empty(),
        "no message"
    );
    assert_eq!(after["events"], before["events"], "nothing audited");
    assert_eq!(after["version"], before["version"]);
    assert!(
        after["assignee_id"].is_null(),
        "the assignee rolled back too"
    );

    // A bad assignee refuses the reply the same way: 422, nothing sent.
    let resp = reply(
        &app,
        &editor,
        &reference,
        json!({"body": "Une relance.", "assignee": "no-such-account"}),
    )
    .await;
    assert_eq!(resp.status(), 422);
    assert_eq!(staff_replies(&app), 0);
}

async fn the_first_reply_or_assignment_opens_a_new_submission(b: Backend) {
    let app = spawn_app_without_worker(b, 9).await;
    let editor = app.staff("editor").await;
    let (replied, _) = app.submit("newsroom").await;
    assert_eq!(
        reply(&app, &editor, &replied, json!({"body": "Bien reçu."}))
            .await
            .status(),
        201
    );
    let d = detail(&app, &editor, &replied).await;
    assert_eq!(d["status"], "open");
    let opened = changes(&d, "status");
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0]["actor"], editor.id.as_str());
    assert_eq!(opened[0]["detail"]["why"], "first_action");

    let (assigned, _) = app.submit("newsroom").await;
    let resp = patch(&app, &editor, &assigned, json!({"assignee": "me"})).await;
    assert_eq!(resp.status(), 200);
    let d = detail(&app, &editor, &assigned).await;
    assert_eq!(d["status"], "open");
    assert_eq!(changes(&d, "status")[0]["actor"], editor.id.as_str());

    // A move `new` allows by itself is made as asked, without opening first.
    let (spam, _) = app.submit("newsroom").await;
    let resp = patch(
        &app,
        &editor,
        &spam,
        json!({"assignee": "me", "status": "spam"}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let d = detail(&app, &editor, &spam).await;
    assert_eq!(d["status"], "spam");
    assert_eq!(changes(&d, "status").len(), 1);
}

async fn waiting_may_move_to_resolved(b: Backend) {
    let app = spawn_app_without_worker(b, 9).await;
    let editor = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    for status in ["open", "waiting", "resolved"] {
        let resp = patch(&app, &editor, &reference, json!({ "status": status })).await;
        assert_eq!(resp.status(), 200, "{status}");
    }
    let d = detail(&app, &editor, &reference).await;
    assert_eq!(d["status"], "resolved");
    assert!(d["resolved_at"].is_string());
}

async fn a_reply_behind_the_thread_is_not_sent(b: Backend) {
    let app = spawn_app_without_worker(b, 9).await;
    let alice = app.staff("editor").await;
    let bob = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    // Alice reads an empty thread; Bob answers meanwhile.
    assert!(detail(&app, &alice, &reference).await["messages"]
        .as_array()
        .unwrap()
        .is_empty());
    let resp = reply(
        &app,
        &bob,
        &reference,
        json!({"body": "Réponse de Bob.", "thread_seen": ""}),
    )
    .await;
    assert_eq!(resp.status(), 201);
    let seen_by_bob = detail(&app, &bob, &reference).await;

    let resp = reply(
        &app,
        &alice,
        &reference,
        json!({"body": "Réponse d'Alice.", "thread_seen": "", "status": "waiting"}),
    )
    .await;
    assert_eq!(resp.status(), 409);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "thread_changed");
    assert!(body["message"].as_str().unwrap().contains("conversation"));
    // The new items, as the detail's `messages` shows them.
    assert_eq!(body["items"], seen_by_bob["messages"]);
    let after = detail(&app, &alice, &reference).await;
    assert_eq!(staff_replies(&app), 1, "nothing sent");
    assert_eq!(after["status"], "open", "nor the status changed");
    assert_eq!(after["version"], seen_by_bob["version"]);

    // Having read it, Alice's reply goes; so does one sent anyway, or one that checks nothing.
    let newest = body["items"][0]["id"].as_str().unwrap();
    for (text, extra) in [
        ("Lu.", json!({"thread_seen": newest})),
        ("Quand même.", json!({"thread_seen": "", "confirm": true})),
        ("Sans contrôle.", json!({})),
    ] {
        let mut b = json!({ "body": text });
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        assert_eq!(reply(&app, &alice, &reference, b).await.status(), 201);
    }
    assert_eq!(staff_replies(&app), 4);

    // An id that is not on this thread is a field error.
    let resp = reply(
        &app,
        &alice,
        &reference,
        json!({"body": "?", "thread_seen": "not-an-item"}),
    )
    .await;
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["fields"]["thread_seen"][0]["code"], "not_in_thread");
    assert_eq!(staff_replies(&app), 4);
}

on_both_backends!(
    a_reply_sets_the_status_and_the_assignee_in_one_post,
    an_illegal_move_sends_nothing,
    the_first_reply_or_assignment_opens_a_new_submission,
    waiting_may_move_to_resolved,
    a_reply_behind_the_thread_is_not_sent,
);
