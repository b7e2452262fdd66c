//! The real binary under signals: SIGTERM during load loses nothing acknowledged and leaves no
//! lease; readiness turns 503 while draining; one log line per request, with its id.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use serde_json::Value;

use crate::helpers::{free_port, newsroom_body, Backend, MailSink, SinkMode, TestDb};

struct Running {
    child: Child,
    base: String,
    /// Reads the log as it comes, so a full pipe never blocks the server.
    log: std::thread::JoinHandle<String>,
}

fn start(db: &TestDb, smtp_port: u16, extra: &[(&str, &str)]) -> Running {
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_courrier"));
    cmd.arg("serve")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("COURRIER_ENV", "test")
        .env("COURRIER__DATABASE__URL", &db.url)
        .env("COURRIER__HTTP__ADDRESS", format!("127.0.0.1:{port}"))
        .env("COURRIER__MAIL__TRANSPORT", "smtp")
        .env(
            "COURRIER__MAIL__SMTP_URL",
            format!("smtp://127.0.0.1:{smtp_port}"),
        )
        .env("COURRIER__LOG__FILTER", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    Running {
        child,
        base: format!("http://127.0.0.1:{port}"),
        log: std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default()),
    }
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = client.get(format!("{base}/health/ready")).send().await {
            if r.status() == 200 {
                return;
            }
        }
        assert!(Instant::now() < deadline, "server not ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits for the process to end; returns its exit code and everything it logged.
async fn finish(mut running: Running) -> (Option<i32>, String) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = running.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the process did not stop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    (status.code(), running.log.join().unwrap())
}

async fn sigterm_under_load_loses_no_acknowledged_submission(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let db = Arc::new(TestDb::new(b));
    let running = start(&db, sink.port, &[]);
    let client = reqwest::Client::new();
    wait_ready(&client, &running.base).await;
    let mut posters = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let (client, url) = (
            client.clone(),
            format!("{}/v1/forms/newsroom", running.base),
        );
        posters.spawn(async move {
            let mut acknowledged = Vec::new();
            // Until the server is gone: refused connections end the loop.
            while let Ok(resp) = client.post(&url).json(&newsroom_body()).send().await {
                if resp.status() == 201 {
                    let body: Value = resp.json().await.unwrap_or_default();
                    if let Some(r) = body["reference"].as_str() {
                        acknowledged.push(r.to_owned());
                    }
                }
            }
            acknowledged
        });
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    sigterm(&running.child);
    let mut acknowledged = Vec::new();
    while let Some(refs) = posters.join_next().await {
        acknowledged.extend(refs.unwrap());
    }
    let (code, _) = finish(running).await;
    assert_eq!(code, Some(0), "a clean exit");
    assert!(
        acknowledged.len() > 10,
        "load was running: {}",
        acknowledged.len()
    );
    let settings = crate::helpers::test_settings(&db.url, sink.port);
    let mut conn = courrier::db::Manager::new(&settings.database)
        .unwrap()
        .establish()
        .unwrap();
    use courrier::db::schema::{outbox, submissions};
    let stored: Vec<String> = submissions::table
        .select(submissions::reference)
        .load(&mut conn)
        .unwrap();
    for reference in &acknowledged {
        assert!(
            stored.contains(reference),
            "acknowledged {reference} was lost"
        );
    }
    let leased: i64 = outbox::table
        .filter(outbox::lease_owner.is_not_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(leased, 0, "no job left leased");
    let outbox_rows: i64 = outbox::table.count().get_result(&mut conn).unwrap();
    assert_eq!(outbox_rows, 2 * i64::try_from(stored.len()).unwrap());
}

async fn readiness_turns_503_while_draining(b: Backend) {
    let db = TestDb::new(b);
    let running = start(
        &db,
        free_port(),
        &[("COURRIER__HTTP__SHUTDOWN_DRAIN_MS", "1500")],
    );
    let client = reqwest::Client::new();
    wait_ready(&client, &running.base).await;
    sigterm(&running.child);
    let deadline = Instant::now() + Duration::from_secs(1);
    let ready = loop {
        let resp = client
            .get(format!("{}/health/ready", running.base))
            .send()
            .await
            .unwrap();
        if resp.status() == 503 || Instant::now() > deadline {
            break resp;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(ready.status(), 503);
    assert!(ready.headers().contains_key("retry-after"));
    let live = client
        .get(format!("{}/health/live", running.base))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200, "still serving while draining");
    let (code, _) = finish(running).await;
    assert_eq!(code, Some(0));
}

async fn each_request_logs_one_line_with_its_id_and_no_reader_data(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let db = TestDb::new(b);
    let running = start(&db, sink.port, &[]);
    let client = reqwest::Client::new();
    wait_ready(&client, &running.base).await;
    let mut body = newsroom_body();
    body["message"] = serde_json::json!("Le secret de la source est ici");
    let resp = client
        .post(format!("{}/v1/forms/newsroom", running.base))
        .header("x-request-id", "trace-4242")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.headers()["x-request-id"], "trace-4242");
    let generated = client
        .get(format!("{}/health/live", running.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        generated.headers()["x-request-id"].len(),
        32,
        "made up when absent"
    );
    let hostile = client
        .get(format!("{}/health/live", running.base))
        .header("x-request-id", "a b\tc")
        .send()
        .await
        .unwrap();
    assert_ne!(hostile.headers()["x-request-id"], "a b\tc");
    sink.wait_for(2).await;
    sigterm(&running.child);
    let (code, logs) = finish(running).await;
    assert_eq!(code, Some(0));
    let line = logs
        .lines()
        .find(|l| l.contains("trace-4242"))
        .unwrap_or_else(|| panic!("no line for the request:\n{logs}"));
    for needle in [
        "POST",
        "route=/v1/forms/newsroom",
        "status=201",
        "latency_ms=",
    ] {
        assert!(line.contains(needle), "{needle} missing from {line}");
    }
    for secret in [
        "zoe.martin@example.fr",
        "Le secret de la source",
        "Zoé Martin",
        "+33 6 12",
    ] {
        assert!(!logs.contains(secret), "the log carries {secret}:\n{logs}");
    }
}

crate::on_both_backends!(
    sigterm_under_load_loses_no_acknowledged_submission,
    readiness_turns_503_while_draining,
    each_request_logs_one_line_with_its_id_and_no_reader_data,
);
