//! Source protection by the submission's own desk: it follows from the form, in the database,
//! whatever the queues' configuration says; start-up refuses rows misfiled by a configuration
//! change; `queue move` rehomes them; editors hand sales enquiries over to the commercial desk.

use std::sync::Arc;

use courrier::app::Application;
use courrier::config::{QueueSettings, RoutingRuleSettings, Settings};
use courrier::domain::Desk;
use serde_json::{json, Value};

use crate::helpers::{
    newsroom_body, spawn_app, spawn_app_with, spawn_app_without_worker, test_settings, Answer,
    Backend, MailSink, SinkMode, TestDb,
};

/// Configuration A: newsroom feedback goes to `readers`, a queue of the editorial desk.
fn readers_queue(s: &mut Settings, desk: Desk) {
    s.queues.insert(
        "readers".into(),
        QueueSettings {
            label: "Courrier des lecteurs".into(),
            desk,
            address: None,
            notify: vec!["lecteurs@journal.example".into()],
        },
    );
    if desk == Desk::Editorial {
        s.routing.rules.push(RoutingRuleSettings {
            form: "newsroom".into(),
            topic: Some("feedback".into()),
            queue: Some("readers".into()),
            priority: None,
        });
    }
}

async fn a_repurposed_queue_stops_start_up_until_its_rows_move_to_their_own_desk(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let db = Arc::new(TestDb::new(b));
    let before = spawn_app_with(db.clone(), sink.port, |s| readers_queue(s, Desk::Editorial)).await;
    let mut feedback = newsroom_body();
    feedback["topic"] = json!("feedback");
    let resp: Value = before
        .post_json("newsroom", &feedback)
        .await
        .json()
        .await
        .unwrap();
    let reference = resp["reference"].as_str().unwrap().to_owned();

    // Configuration B repurposes `readers` for the commercial desk: it does not start.
    let mut repurposed = test_settings(&db.url, sink.port);
    readers_queue(&mut repurposed, Desk::Commercial);
    repurposed.validate().unwrap();
    let refused = match Application::build(repurposed.clone()).await {
        Ok(_) => panic!("a commercial queue holding an editorial submission started"),
        Err(e) => format!("{e:#}"),
    };
    assert!(
        refused.contains("queue readers holds 1 editorial submission(s)")
            && refused.contains("queues.readers.desk")
            && refused.contains("courrier queue move --from readers"),
        "{refused}"
    );

    // Moving to a queue of the rows' own desk, audited, lets it start.
    let moved = courrier::desk::handover::move_queue(
        &before.pool,
        &repurposed,
        "readers",
        "editorial",
        "cli",
    )
    .await
    .unwrap();
    assert_eq!(
        (moved.moved, moved.desk, moved.stayed),
        (1, Desk::Editorial, 0)
    );
    let after = spawn_app_with(db, sink.port, |s| readers_queue(s, Desk::Commercial)).await;
    let sales = after.staff("sales").await;
    let editor = after.staff("editor").await;
    let path = format!("/v1/submissions/{reference}");
    let hidden = after.get_as(&sales, &path).send().await.unwrap();
    assert_eq!(hidden.status(), 404);
    let seen: Value = after.get_as(&editor, &path).read_json().await;
    assert_eq!(seen["queue"], "editorial");
    let moves: Vec<&Value> = seen["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "changed" && e["actor"] == "cli")
        .collect();
    assert_eq!(moves.len(), 1, "{seen}");
    assert_eq!(moves[0]["detail"]["from"], "readers");
}

async fn a_queue_move_takes_only_the_rows_of_the_targets_desk(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app_with(Arc::new(TestDb::new(b)), sink.port, |s| {
        readers_queue(s, Desk::Editorial)
    })
    .await;
    let mut feedback = newsroom_body();
    feedback["topic"] = json!("feedback");
    assert_eq!(app.post_json("newsroom", &feedback).await.status(), 201);
    let mut settings = test_settings(&app.db.url, sink.port);
    readers_queue(&mut settings, Desk::Editorial);
    let to_sales =
        courrier::desk::handover::move_queue(&app.pool, &settings, "readers", "commercial", "cli")
            .await
            .unwrap();
    assert_eq!(
        (to_sales.moved, to_sales.desk, to_sales.stayed),
        (0, Desk::Commercial, 1),
        "an editorial row never goes to a commercial queue"
    );
    for (from, to) in [("readers", "nowhere"), ("readers", "readers")] {
        assert!(
            courrier::desk::handover::move_queue(&app.pool, &settings, from, to, "cli")
                .await
                .is_err(),
            "{from} → {to}"
        );
    }
}

async fn visibility_is_a_predicate_of_every_lookup_not_of_the_queue_configuration(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let (reference, id) = app.submit("newsroom").await;
    // The lookup itself takes the caller's desks: hidden and missing do the same work.
    let find = |desks: &[Desk]| {
        app.with_conn(|c| courrier::db::triage::find(c, &reference, desks).unwrap())
    };
    assert!(find(&[Desk::Commercial]).is_none());
    assert_eq!(find(&[Desk::Editorial]).unwrap().id, id);
    // A row that somehow sits in a commercial queue stays editorial: its desk is its form's.
    app.with_conn(|c| {
        use diesel::prelude::*;
        diesel::sql_query("UPDATE submissions SET queue = 'commercial' WHERE id = $1")
            .bind::<diesel::sql_types::Text, _>(&id)
            .execute(c)
            .unwrap()
    });
    assert_eq!(find(&[Desk::Editorial]).unwrap().desk, Desk::Editorial);
    let sales = app.staff("sales").await;
    let path = format!("/v1/submissions/{reference}");
    assert_eq!(app.get_as(&sales, &path).status_code().await, 404);
    let reply = app
        .post_as(&sales, &format!("{path}/replies"))
        .json(&json!({"body": "Bonjour"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 404);
    let list: Value = app
        .get_as(&sales, "/v1/submissions?queue=commercial")
        .read_json()
        .await;
    assert_eq!(list["items"], json!([]));
    let queues: Value = app.get_as(&sales, "/v1/queues").read_json().await;
    let commercial = queues["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "commercial")
        .unwrap()
        .clone();
    assert_eq!(commercial["counts"]["new"], 0, "{commercial}");
}

async fn an_editor_hands_a_sales_enquiry_over_and_the_original_stays_editorial(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app_without_worker(b, sink.port).await;
    let editor = app.staff("editor").await;
    let sales = app.staff("sales").await;
    let (reference, _) = app.submit("newsroom").await;
    let original = format!("/v1/submissions/{reference}");
    let note = app
        .post_as(&editor, &format!("{original}/notes"))
        .json(&json!({"body": "Source à protéger"}))
        .send()
        .await
        .unwrap();
    assert_eq!(note.status(), 201);

    let handed = app
        .post_as(&editor, &format!("{original}/handover"))
        .send()
        .await
        .unwrap();
    assert_eq!(handed.status(), 201);
    let handed: Value = handed.json().await.unwrap();
    assert_eq!(handed["queue"], "commercial");
    let copy_ref = handed["reference"].as_str().unwrap();
    assert_ne!(copy_ref, reference);

    // Sales sees the reader's words and contact details, none of the newsroom's work.
    let copy: Value = app
        .get_as(&sales, &format!("/v1/submissions/{copy_ref}"))
        .read_json()
        .await;
    let body = newsroom_body();
    assert_eq!(copy["form"], "sales");
    assert_eq!(copy["name"], body["name"]);
    assert_eq!(copy["email"], body["email"]);
    assert_eq!(copy["message"], body["message"]);
    assert_eq!(copy["notes"], json!([]));
    assert_eq!(copy["replies"], json!([]));
    let kinds: Vec<&str> = copy["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["received_by_handover"]);
    assert!(!copy.to_string().contains(&reference), "{copy}");
    // The team hears of it through the outbox.
    assert_eq!(app.dispatch_all_pending().await, 3);
    let mails = sink.accepted();
    assert!(mails
        .iter()
        .any(|m| m.to == ["commercial@localhost".to_owned()]
            && String::from_utf8_lossy(&m.raw).contains(copy_ref)));

    // The original stays editorial, and says where it went.
    assert_eq!(app.get_as(&sales, &original).status_code().await, 404);
    let kept: Value = app.get_as(&editor, &original).read_json().await;
    assert_eq!(kept["form"], "newsroom");
    assert!(kept["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "handed_over"
            && e["detail"]["to"] == copy_ref
            && e["actor"] == editor.id));

    // Once only; never from the commercial side; nothing for sales to find on the newsroom's.
    let again = app
        .post_as(&editor, &format!("{original}/handover"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["error"], "already_handed_over");
    let back = app
        .post_as(&sales, &format!("/v1/submissions/{copy_ref}/handover"))
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 409);
    assert_eq!(
        back.json::<Value>().await.unwrap()["error"],
        "not_editorial"
    );
    let prying = app
        .post_as(&sales, &format!("{original}/handover"))
        .send()
        .await
        .unwrap();
    assert_eq!(prying.status(), 404);
    assert_eq!(app.count("handovers"), 1);
}

crate::on_both_backends!(
    a_repurposed_queue_stops_start_up_until_its_rows_move_to_their_own_desk,
    a_queue_move_takes_only_the_rows_of_the_targets_desk,
    visibility_is_a_predicate_of_every_lookup_not_of_the_queue_configuration,
    an_editor_hands_a_sales_enquiry_over_and_the_original_stays_editorial,
);
