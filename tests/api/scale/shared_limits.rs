//! Flood limits shared by several instances through Redis (`limits.store`), and what each
//! instance does when Redis does not answer.

use std::sync::Arc;

use courrier::config::{LimitStore, Settings};
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::helpers::{free_port, newsroom_body, spawn_app_with, Backend, TestApp, TestDb};

const TOKEN: &str = "metrics-token-for-shared-limits";

fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Limits in `store`, under a prefix of this test's own (tests run in parallel on one Redis).
fn limits_in(store: &str, prefix: &str, s: &mut Settings) {
    s.limits.store = LimitStore::Redis(SecretString::from(store.to_owned()));
    s.limits.store_prefix = prefix.to_owned();
    s.metrics.token = Some(SecretString::from(TOKEN));
    s.mail.run_worker = false;
}

/// Two instances on one database, their limits in `store` (Redis), tuned by `tweak`.
async fn two_instances(store: Option<&str>, tweak: fn(&mut Settings)) -> (TestApp, TestApp) {
    let db = Arc::new(TestDb::new(Backend::Sqlite));
    let prefix = format!("courrier-test-{}", uuid::Uuid::now_v7().simple());
    let mut apps = Vec::new();
    for _ in 0..2 {
        let prefix = prefix.clone();
        apps.push(
            spawn_app_with(db.clone(), free_port(), move |s| {
                if let Some(store) = store {
                    limits_in(store, &prefix, s);
                }
                tweak(s);
            })
            .await,
        );
    }
    let b = apps.pop().unwrap();
    (apps.pop().unwrap(), b)
}

fn reader(n: usize) -> Value {
    let mut body = newsroom_body();
    body["email"] = json!(format!("lectrice{n}@example.fr"));
    body
}

async fn status_of(resp: reqwest::Response) -> (u16, Option<String>) {
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (resp.status().as_u16(), retry)
}

#[tokio::test]
async fn the_form_limit_per_client_is_one_quota_across_instances() {
    let url = redis_url();
    let (a, b) = two_instances(Some(url.as_str()), |s| s.limits.form_per_ip_per_minute = 4).await;
    for (n, app) in [&a, &b, &a, &b].into_iter().enumerate() {
        assert_eq!(
            app.post_json("newsroom", &reader(n)).await.status(),
            201,
            "post {n}"
        );
    }
    for (n, app) in [(4, &a), (5, &b)] {
        let (status, retry) = status_of(app.post_json("newsroom", &reader(n)).await).await;
        assert_eq!(status, 429, "the fifth post, whichever instance takes it");
        let secs: u64 = retry.unwrap().parse().unwrap();
        assert!(
            (1..=15).contains(&secs),
            "one post comes back every 15 s: {secs}"
        );
    }
    let ready: Value = a.get("/health/ready").await.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
}

#[tokio::test]
async fn the_per_reader_limit_is_one_quota_across_instances() {
    let url = redis_url();
    let (a, b) = two_instances(Some(url.as_str()), |s| s.limits.form_per_email_per_hour = 2).await;
    assert_eq!(a.post_json("newsroom", &reader(1)).await.status(), 201);
    assert_eq!(b.post_json("newsroom", &reader(1)).await.status(), 201);
    assert_eq!(a.post_json("newsroom", &reader(1)).await.status(), 429);
    assert_eq!(b.post_json("newsroom", &reader(1)).await.status(), 429);
    assert_eq!(
        b.post_json("newsroom", &reader(2)).await.status(),
        201,
        "another reader"
    );
}

#[tokio::test]
async fn the_sign_in_limit_per_client_is_one_quota_across_instances() {
    let url = redis_url();
    let (a, b) = two_instances(Some(url.as_str()), |s| s.auth.login_per_ip_per_minute = 3).await;
    for (n, app) in [&a, &b, &a].into_iter().enumerate() {
        let resp = app
            .try_login(&format!("personne{n}@journal.example"), "faux")
            .await;
        assert_eq!(resp.status(), 401, "attempt {n}");
    }
    let resp = b.try_login("personne9@journal.example", "faux").await;
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn in_memory_each_instance_counts_alone() {
    let (a, b) = two_instances(None, |s| s.limits.form_per_ip_per_minute = 2).await;
    assert_eq!(a.post_json("newsroom", &reader(1)).await.status(), 201);
    assert_eq!(a.post_json("newsroom", &reader(2)).await.status(), 201);
    assert_eq!(a.post_json("newsroom", &reader(3)).await.status(), 429);
    assert_eq!(
        b.post_json("newsroom", &reader(4)).await.status(),
        201,
        "its own quota"
    );
}

#[tokio::test]
async fn with_redis_unreachable_each_instance_falls_back_to_its_own_memory() {
    // A port nothing listens on: Redis is "down".
    let closed = format!("redis://127.0.0.1:{}", free_port());
    let db = Arc::new(TestDb::new(Backend::Sqlite));
    let app = spawn_app_with(db, free_port(), move |s| {
        limits_in(&closed, "courrier-test-down", s);
        s.limits.form_per_ip_per_minute = 3;
    })
    .await;
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status(), 200, "still in the load balancer's rotation");
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["status"], "degraded");
    for n in 0..3 {
        assert_eq!(
            app.post_json("newsroom", &reader(n)).await.status(),
            201,
            "readers still write"
        );
    }
    let (status, retry) = status_of(app.post_json("newsroom", &reader(3)).await).await;
    assert_eq!(
        status, 429,
        "the limit still holds, in this instance's memory"
    );
    assert!(retry.is_some());
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let fallbacks: u64 = metrics
        .lines()
        .find_map(|l| {
            l.strip_prefix("courrier_limits_fallback_total")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0);
    assert!(
        fallbacks >= 4,
        "every check counted in memory is counted: {fallbacks}"
    );
}
