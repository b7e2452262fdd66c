//! The triage list through the API: the views' membership and order, `sort=activity`, the
//! unread markers per account (others' activity, not one's own; read once opened) and the
//! `unread=true` filter, and the reader's history within the caller's desks.

use serde_json::{json, Value};

use crate::helpers::{newsroom_body, sales_body, spawn_app, Backend, MailSink, Staff, TestApp};

/// The references of a list's page, in order.
async fn listed(app: &TestApp, who: &Staff, query: &str) -> Vec<String> {
    let page = list(app, who, query).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reference"].as_str().unwrap().to_owned())
        .collect()
}

async fn list(app: &TestApp, who: &Staff, query: &str) -> Value {
    let resp = app
        .get_as(who, &format!("/v1/submissions?{query}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{query}");
    resp.json().await.unwrap()
}

/// Whether the caller's list marks `reference` unread.
async fn unread(app: &TestApp, who: &Staff, reference: &str) -> bool {
    let page = list(app, who, &format!("q={reference}")).await;
    let item = &page["items"][0];
    assert_eq!(item["reference"], reference);
    item["unread"].as_bool().unwrap()
}

pub async fn patch(app: &TestApp, who: &Staff, reference: &str, body: Value) {
    let resp = app
        .patch_as(who, &format!("/v1/submissions/{reference}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{body}: {}", resp.text().await.unwrap());
}

pub async fn note(app: &TestApp, who: &Staff, reference: &str) {
    let resp = app
        .post_as(who, &format!("/v1/submissions/{reference}/notes"))
        .json(&json!({"body": "Vu avec le chef d'édition."}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
}

async fn open(app: &TestApp, who: &Staff, reference: &str) -> Value {
    let resp = app
        .get_as(who, &format!("/v1/submissions/{reference}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

/// The reader answered at this moment (what a matched e-mail records, in its transaction).
pub fn reader_answers(app: &TestApp, reference: &str) {
    app.with_conn(|c| {
        let id = courrier::db::submissions::by_reference(c, reference)
            .unwrap()
            .id;
        courrier::db::activity::touch(
            c,
            &id,
            courrier::db::activity::Actor::Reader,
            courrier::db::now(),
        )
        .unwrap();
    });
}

/// Five submissions in each state the views tell apart, in this order of last activity
/// (oldest first): new, open, waiting (quiet), resolved, waiting (answered by the reader).
pub async fn five_states(app: &TestApp, who: &Staff) -> [String; 5] {
    let mut refs = Vec::new();
    for _ in 0..5 {
        refs.push(app.submit("newsroom").await.0);
    }
    patch(app, who, &refs[1], json!({"status": "open"})).await;
    for r in [&refs[2], &refs[4]] {
        patch(app, who, r, json!({"status": "open"})).await;
        patch(app, who, r, json!({"status": "waiting"})).await;
    }
    patch(app, who, &refs[3], json!({"status": "open"})).await;
    patch(app, who, &refs[3], json!({"status": "resolved"})).await;
    reader_answers(app, &refs[4]);
    refs.try_into().unwrap()
}

async fn each_view_holds_its_own_in_order_of_activity(b: Backend) {
    let sink = MailSink::start(crate::helpers::SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    let other = app.staff("editor").await;
    let [new, open, quiet, resolved, answered] = five_states(&app, &editor).await;

    assert_eq!(
        listed(&app, &editor, "view=todo").await,
        [answered.as_str(), open.as_str(), new.as_str()],
        "new, open, and waiting with the reader's answer; latest activity first"
    );
    assert_eq!(
        listed(&app, &editor, "view=all&sort=activity").await,
        [
            answered.as_str(),
            resolved.as_str(),
            quiet.as_str(),
            open.as_str(),
            new.as_str()
        ]
    );
    // Without a view, the list is as before: everything, newest first.
    assert_eq!(
        listed(&app, &editor, "").await,
        [
            answered.as_str(),
            resolved.as_str(),
            quiet.as_str(),
            open.as_str(),
            new.as_str()
        ]
    );
    assert_eq!(listed(&app, &editor, "sort=newest").await[0], answered);
    // A view's own filters combine with the others.
    assert_eq!(
        listed(&app, &editor, "view=todo&status=open").await,
        [open.as_str()]
    );

    patch(&app, &editor, &new, json!({"assignee": "me"})).await;
    patch(&app, &editor, &resolved, json!({"assignee": "me"})).await;
    patch(&app, &editor, &quiet, json!({"assignee": other.id})).await;
    assert_eq!(
        listed(&app, &editor, "view=mine").await,
        [new.as_str()],
        "mine, without the resolved one"
    );
    assert_eq!(listed(&app, &other, "view=mine").await, [quiet.as_str()]);
    assert_eq!(
        listed(&app, &editor, "view=unassigned").await,
        [answered.as_str(), open.as_str()]
    );
    // Assigning is activity: the assigned one comes first now.
    assert_eq!(listed(&app, &editor, "view=todo").await[0], new);

    // Keyset paging by activity repeats and skips nothing.
    let first = list(&app, &editor, "view=all&sort=activity&limit=2").await;
    let next = first["next"].as_str().unwrap();
    let rest = listed(
        &app,
        &editor,
        &format!("view=all&sort=activity&limit=10&cursor={next}"),
    )
    .await;
    let mut all: Vec<String> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reference"].as_str().unwrap().to_owned())
        .chain(rest)
        .collect();
    assert_eq!(all.len(), 5);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 5);
    // A newest-first cursor is not one for the activity order.
    let newest = list(&app, &editor, "limit=1").await;
    let cursor = newest["next"].as_str().unwrap();
    let resp = app
        .get_as(
            &editor,
            &format!("/v1/submissions?sort=activity&cursor={cursor}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    // A queue name that cannot exist matches nothing, but never hides a bad parameter beside it.
    for bad in [
        "view=later",
        "sort=oldest",
        "unread=maybe",
        "queue=%C4%A6%2F&view=later",
        "queue=%C4%A6%2F&sort=oldest",
        "queue=%C4%A6%2F&to=yesterday",
    ] {
        let resp = app
            .get_as(&editor, &format!("/v1/submissions?{bad}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{bad}");
    }
}

async fn others_activity_is_unread_and_ones_own_is_not(b: Backend) {
    let sink = MailSink::start(crate::helpers::SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let alice = app.staff("editor").await;
    let bruno = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    let (other, _) = app.submit("newsroom").await;

    // New: unread for everyone, with its last activity.
    let page = list(&app, &alice, "").await;
    assert!(page["items"][0]["last_activity_at"].is_string());
    assert!(unread(&app, &alice, &reference).await);
    assert!(unread(&app, &bruno, &reference).await);
    // Opened through the API: read for Alice only.
    let detail = open(&app, &alice, &reference).await;
    assert_eq!(detail["unread"], false);
    assert!(!unread(&app, &alice, &reference).await);
    assert!(unread(&app, &bruno, &reference).await);
    assert_eq!(
        listed(&app, &alice, "unread=true").await,
        [other.as_str()],
        "only the unread ones"
    );
    assert_eq!(listed(&app, &bruno, "unread=true").await.len(), 2);

    // Bruno's note: unread for Alice, not for Bruno, who wrote it without opening it.
    note(&app, &bruno, &reference).await;
    assert!(unread(&app, &alice, &reference).await);
    assert!(!unread(&app, &bruno, &reference).await);
    assert_eq!(listed(&app, &bruno, "unread=true").await, [other.as_str()]);
    // Alice's change of status: unread for Bruno again, not for her.
    open(&app, &alice, &reference).await;
    patch(&app, &alice, &reference, json!({"status": "open"})).await;
    assert!(!unread(&app, &alice, &reference).await);
    assert!(unread(&app, &bruno, &reference).await);
    // A priority is no activity: nothing becomes unread.
    open(&app, &bruno, &reference).await;
    patch(&app, &alice, &reference, json!({"priority": "high"})).await;
    assert!(!unread(&app, &bruno, &reference).await);
    // The reader's answer is unread for both.
    reader_answers(&app, &reference);
    assert!(unread(&app, &alice, &reference).await);
    assert!(unread(&app, &bruno, &reference).await);
    assert_eq!(
        listed(&app, &alice, "view=todo&unread=true").await,
        [reference.as_str(), other.as_str()]
    );
}

async fn the_reader_history_stays_within_the_callers_desks(b: Backend) {
    let sink = MailSink::start(crate::helpers::SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    let admin = app.staff("admin").await;
    let post = |body: Value| {
        let app = &app;
        async move {
            let resp: Value = app
                .post_json(
                    if body["topic"] == "advertising" {
                        "sales"
                    } else {
                        "newsroom"
                    },
                    &body,
                )
                .await
                .json()
                .await
                .unwrap();
            resp["reference"].as_str().unwrap().to_owned()
        }
    };
    let first = post(newsroom_body()).await;
    let mut again = newsroom_body();
    again["email"] = json!("Zoe.MARTIN@example.fr");
    again["subject"] = json!("La suite");
    let second = post(again).await;
    let mut lead = sales_body();
    lead["email"] = json!("zoe.martin@example.fr");
    let sales = post(lead).await;
    let mut stranger = newsroom_body();
    stranger["email"] = json!("someone.else@example.fr");
    post(stranger).await;

    let history = |d: &Value| -> Vec<String> {
        d["reader_history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["reference"].as_str().unwrap().to_owned())
            .collect()
    };
    let seen = open(&app, &editor, &second).await;
    assert_eq!(
        history(&seen),
        [first.as_str()],
        "the sales lead is not the editor's"
    );
    let item = &seen["reader_history"][0];
    assert_eq!(item["subject"], "Fuite d’eau à la médiathèque");
    assert_eq!(item["topic"], "tip");
    assert_eq!(item["status"], "new");
    assert!(item["id"].is_string() && item["created_at"].is_string());
    assert_eq!(
        history(&open(&app, &admin, &second).await),
        [sales.as_str(), first.as_str()],
        "an admin sees both desks, newest first"
    );

    // Erased: gone from the history (the submission on hold stays, and shows none).
    patch(&app, &admin, &second, json!({"legal_hold": true})).await;
    let resp = app
        .post_as(&admin, "/v1/privacy/erasures")
        .json(&json!({"email": "zoe.martin@example.fr"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(history(&open(&app, &admin, &second).await).is_empty());
}

crate::on_both_backends!(
    each_view_holds_its_own_in_order_of_activity,
    others_activity_is_unread_and_ones_own_is_not,
    the_reader_history_stays_within_the_callers_desks,
);

/// The OpenAPI document describes the views, the sort and the new fields exactly.
#[tokio::test]
async fn the_openapi_document_describes_views_unread_and_the_readers_history() {
    let sink = MailSink::start(crate::helpers::SinkMode::Accept);
    let app = spawn_app(Backend::Sqlite, sink.port).await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let params = doc["paths"]["/v1/submissions"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let param = |name: &str| {
        params
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))["schema"]
            .clone()
    };
    assert_eq!(
        param("view")["enum"],
        json!(["todo", "mine", "unassigned", "all", ""])
    );
    assert!(param("sort")["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("activity")));
    assert!(param("unread").to_string().contains("boolean"));
    let schemas = &doc["components"]["schemas"];
    for field in ["last_activity_at", "unread"] {
        assert!(
            schemas["Summary"]["required"]
                .as_array()
                .unwrap()
                .contains(&json!(field)),
            "{field}"
        );
    }
    let history = &schemas["ReaderSubmission"]["properties"];
    for field in [
        "id",
        "reference",
        "subject",
        "topic",
        "status",
        "created_at",
    ] {
        assert!(history.get(field).is_some(), "{field}");
    }
    assert!(schemas["Detail"].to_string().contains("reader_history"));
}
