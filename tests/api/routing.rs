//! Routing: each form's default queue, topic rules, priorities, deadlines and queue addresses.

use std::sync::Arc;

use chrono::Duration;
use courrier::config::{QueueSettings, RoutingRuleSettings};
use serde_json::{json, Value};

use crate::helpers::{
    newsroom_body, sales_body, spawn_app, spawn_app_with, spawn_app_without_worker, Backend,
    MailSink, SinkMode, TestDb,
};

async fn stored(
    app: &crate::helpers::TestApp,
    resp: reqwest::Response,
) -> courrier::db::submissions::SubmissionRow {
    assert_eq!(resp.status(), 201);
    let json: Value = resp.json().await.unwrap();
    let reference = json["reference"].as_str().unwrap().to_owned();
    app.with_conn(|c| courrier::db::submissions::by_reference(c, &reference).unwrap())
}

async fn newsroom_goes_to_editorial_and_sales_to_commercial(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app_without_worker(b, sink.port).await;
    let tip = stored(&app, app.post_json("newsroom", &newsroom_body()).await).await;
    assert_eq!(
        (tip.queue.as_str(), tip.priority.as_str()),
        ("editorial", "normal")
    );
    assert_eq!(tip.deadline_at, None);
    let lead = stored(&app, app.post_json("sales", &sales_body()).await).await;
    assert_eq!(
        (lead.queue.as_str(), lead.priority.as_str()),
        ("commercial", "normal")
    );
    app.dispatch_all_pending().await;
    let mails = sink.accepted();
    assert_eq!(mails.len(), 4);
    let team_to = |addr: &str| mails.iter().filter(|m| m.to == [addr.to_owned()]).count();
    assert_eq!(team_to("redaction@localhost"), 1);
    assert_eq!(team_to("commercial@localhost"), 1);
}

async fn right_of_reply_is_urgent_with_a_deadline_and_corrections_are_high(b: Backend) {
    let app = spawn_app(b, crate::helpers::free_port()).await;
    let mut body = newsroom_body();
    body["topic"] = json!("right_of_reply");
    let reply = stored(&app, app.post_json("newsroom", &body).await).await;
    assert_eq!(reply.priority, "urgent");
    assert_eq!(
        reply.deadline_at,
        Some(reply.created_at + Duration::days(3))
    );
    body["topic"] = json!("correction");
    let correction = stored(&app, app.post_json("newsroom", &body).await).await;
    assert_eq!(correction.priority, "high");
    assert_eq!(correction.deadline_at, None);
}

async fn configured_rules_route_topics_to_their_queue(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app_with(Arc::new(TestDb::new(b)), sink.port, |s| {
        s.mail.run_worker = false;
        s.queues.insert(
            "licensing".into(),
            QueueSettings {
                label: "Droits".into(),
                desk: courrier::domain::Desk::Commercial,
                address: None,
                notify: vec![
                    "droits@journal.example".into(),
                    "juridique@journal.example".into(),
                ],
            },
        );
        s.routing.rules.push(RoutingRuleSettings {
            form: "sales".into(),
            topic: Some("licensing".into()),
            queue: Some("licensing".into()),
            priority: Some("low".into()),
        });
        s.routing.right_of_reply_deadline_days = 5;
    })
    .await;
    let mut body = sales_body();
    body["topic"] = json!("licensing");
    let row = stored(&app, app.post_json("sales", &body).await).await;
    assert_eq!(
        (row.queue.as_str(), row.priority.as_str()),
        ("licensing", "low")
    );
    let other = stored(&app, app.post_json("sales", &sales_body()).await).await;
    assert_eq!(other.queue, "commercial", "other topics keep the default");
    let mut reply = newsroom_body();
    reply["topic"] = json!("right_of_reply");
    let reply = stored(&app, app.post_json("newsroom", &reply).await).await;
    assert_eq!(
        reply.deadline_at,
        Some(reply.created_at + Duration::days(5))
    );
    app.dispatch_all_pending().await;
    let mails = sink.accepted();
    assert_eq!(mails.len(), 6);
    assert!(mails.iter().any(|m| {
        m.to == [
            "droits@journal.example".to_owned(),
            "juridique@journal.example".to_owned(),
        ]
    }));
}

crate::on_both_backends!(
    newsroom_goes_to_editorial_and_sales_to_commercial,
    right_of_reply_is_urgent_with_a_deadline_and_corrections_are_high,
    configured_rules_route_topics_to_their_queue,
);
