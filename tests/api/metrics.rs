//! `/metrics`: behind its token, and figures that follow what happened.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use crate::helpers::{
    eventually, free_port, newsroom_body, spawn_app, spawn_app_with, Backend, MailSink, SinkMode,
    TestApp, TestDb,
};

const TOKEN: &str = "a-scrape-token-of-some-length";

async fn app_with_metrics(b: Backend, smtp_port: u16) -> TestApp {
    spawn_app_with(Arc::new(TestDb::new(b)), smtp_port, |s| {
        s.metrics.token = Some(SecretString::from(TOKEN));
    })
    .await
}

async fn scrape(app: &TestApp) -> String {
    let response = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    response.text().await.unwrap()
}

/// The value of the one sample of `name` that carries every label given.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .find(|(series, _)| {
            (series == &name || series.starts_with(&format!("{name}{{")))
                && labels
                    .iter()
                    .all(|(k, v)| series.contains(&format!("{k}=\"{v}\"")))
        })
        .map(|(_, value)| value.parse().unwrap())
}

#[tokio::test]
async fn metrics_answer_only_with_the_configured_token() {
    let off = spawn_app(Backend::Sqlite, free_port()).await;
    assert_eq!(
        off.get("/metrics").await.status(),
        404,
        "no token, no metrics"
    );
    let app = app_with_metrics(Backend::Sqlite, free_port()).await;
    assert_eq!(app.get("/metrics").await.status(), 401);
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("a-scrape-token-of-some-lengtH")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(scrape(&app)
        .await
        .contains("# TYPE courrier_outbox_jobs gauge"));
}

async fn metrics_follow_submissions_requests_and_sends(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = app_with_metrics(b, sink.port).await;
    assert_eq!(
        app.post_json("newsroom", &newsroom_body()).await.status(),
        201
    );
    let invalid = serde_json::json!({"name": "Zoé"});
    assert_eq!(app.post_json("newsroom", &invalid).await.status(), 422);
    sink.wait_for(2).await;
    eventually("both jobs recorded sent", Duration::from_secs(10), || {
        app.outbox().iter().all(|j| j.status == "sent")
    })
    .await;
    let text = scrape(&app).await;
    let submissions = "courrier_submissions_total";
    let accepted = [
        ("form", "newsroom"),
        ("outcome", "accepted"),
        ("queue", "editorial"),
    ];
    assert_eq!(sample(&text, submissions, &accepted), Some(1.0), "{text}");
    let invalid = [("form", "newsroom"), ("outcome", "invalid")];
    assert_eq!(sample(&text, submissions, &invalid), Some(1.0));
    let created = [
        ("method", "POST"),
        ("route", "/v1/forms/newsroom"),
        ("status", "201"),
    ];
    assert_eq!(
        sample(&text, "courrier_http_requests_total", &created),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "courrier_http_request_duration_seconds_count",
            &created
        ),
        Some(1.0)
    );
    assert!(sample(
        &text,
        "courrier_http_request_duration_seconds_bucket",
        &[("route", "/v1/forms/newsroom"), ("le", "+Inf")]
    )
    .is_some());
    for purpose in ["team_notification", "reader_ack"] {
        let attempts = sample(
            &text,
            "courrier_mail_send_attempts_total",
            &[("purpose", purpose)],
        );
        assert_eq!(attempts, Some(1.0), "{purpose}");
    }
    assert_eq!(
        sample(&text, "courrier_mail_send_failures_total", &[]),
        None
    );
    let jobs = "courrier_outbox_jobs";
    assert_eq!(sample(&text, jobs, &[("state", "sent")]), Some(2.0));
    assert_eq!(sample(&text, jobs, &[("state", "pending")]), Some(0.0));
    assert_eq!(
        sample(&text, "courrier_outbox_oldest_pending_age_seconds", &[]),
        Some(0.0)
    );
    assert_eq!(
        sample(&text, "courrier_db_pool_max_connections", &[]),
        Some(f64::from(app.pool.max_size()))
    );
    assert!(sample(&text, "courrier_db_pool_connections", &[("state", "idle")]).is_some());
}

async fn metrics_count_refused_sends_and_waiting_jobs(b: Backend) {
    let sink = MailSink::start(SinkMode::RejectPermanently);
    let app = app_with_metrics(b, sink.port).await;
    assert_eq!(
        app.post_json("newsroom", &newsroom_body()).await.status(),
        201
    );
    eventually("jobs dead", Duration::from_secs(10), || {
        app.outbox().iter().filter(|j| j.status == "dead").count() == 2
    })
    .await;
    let text = scrape(&app).await;
    let refused = [("purpose", "reader_ack"), ("kind", "permanent")];
    assert_eq!(
        sample(&text, "courrier_mail_send_failures_total", &refused),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "courrier_outbox_jobs", &[("state", "dead")]),
        Some(2.0)
    );
}

async fn metrics_show_how_long_the_oldest_job_has_waited(b: Backend) {
    // No worker: the jobs stay pending.
    let app = spawn_app_with(Arc::new(TestDb::new(b)), free_port(), |s| {
        s.metrics.token = Some(SecretString::from(TOKEN));
        s.mail.run_worker = false;
    })
    .await;
    assert_eq!(
        app.post_json("newsroom", &newsroom_body()).await.status(),
        201
    );
    app.with_conn(|c| {
        use courrier::db::schema::outbox::dsl::*;
        use diesel::prelude::*;
        diesel::update(outbox)
            .set(created_at.eq(courrier::db::now() - chrono::Duration::minutes(10)))
            .execute(c)
            .unwrap();
    });
    let text = scrape(&app).await;
    assert_eq!(
        sample(&text, "courrier_outbox_jobs", &[("state", "pending")]),
        Some(2.0)
    );
    let age = sample(&text, "courrier_outbox_oldest_pending_age_seconds", &[]).unwrap();
    assert!((600.0..660.0).contains(&age), "{age}");
}

async fn metrics_count_quarantined_and_rate_limited_posts(b: Backend) {
    let app = spawn_app_with(Arc::new(TestDb::new(b)), free_port(), |s| {
        s.metrics.token = Some(SecretString::from(TOKEN));
        s.limits.form_per_ip_per_minute = 2;
    })
    .await;
    let mut bot = newsroom_body();
    bot["website"] = serde_json::json!("filled by a bot");
    assert_eq!(app.post_json("newsroom", &bot).await.status(), 201);
    assert_eq!(
        app.post_json("newsroom", &newsroom_body()).await.status(),
        201
    );
    assert_eq!(
        app.post_json("newsroom", &newsroom_body()).await.status(),
        429
    );
    let text = scrape(&app).await;
    let submissions = "courrier_submissions_total";
    for (outcome, n) in [
        ("quarantined", 1.0),
        ("accepted", 1.0),
        ("rate_limited", 1.0),
    ] {
        let labels = [("form", "newsroom"), ("outcome", outcome)];
        assert_eq!(
            sample(&text, submissions, &labels),
            Some(n),
            "{outcome}: {text}"
        );
    }
}

crate::on_both_backends!(
    metrics_count_quarantined_and_rate_limited_posts,
    metrics_follow_submissions_requests_and_sends,
    metrics_count_refused_sends_and_waiting_jobs,
    metrics_show_how_long_the_oldest_job_has_waited,
);
