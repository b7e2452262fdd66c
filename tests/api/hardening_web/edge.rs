//! What a hostile client sends on the wire: odd methods cannot grow the metrics or the log,
//! slow heads and bodies are cut off, and a full worker says so.

use std::time::Duration;

use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{app_with, connect, read_to_close};
use crate::helpers::log_path;

const METRICS_TOKEN: &str = "a-scrape-token-of-some-length";

/// A method no one uses: `len` characters, different each time.
fn random_method(len: usize) -> String {
    let mut s = String::new();
    while s.len() < len {
        s.push_str(&uuid::Uuid::new_v4().simple().to_string().to_uppercase());
    }
    s.truncate(len);
    s
}

/// The logs of the run so far, when they go to the file (not with `TEST_LOG`).
fn logged() -> Option<String> {
    if std::env::var("TEST_LOG").is_ok() {
        return None;
    }
    std::fs::read_to_string(log_path()).ok()
}

#[tokio::test]
async fn odd_methods_add_no_metric_series_and_stay_short_in_the_log() {
    let app = app_with(|s| s.metrics.token = Some(SecretString::from(METRICS_TOKEN))).await;
    let mut methods: Vec<String> = (0..600).map(|_| random_method(40)).collect();
    methods.extend((0..5).map(|_| random_method(4_000)));
    let mut pipeline = String::new();
    for (i, method) in methods.iter().enumerate() {
        let close = if i + 1 == methods.len() {
            "Connection: close\r\n"
        } else {
            ""
        };
        pipeline.push_str(&format!(
            "{method} /nothing HTTP/1.1\r\nHost: x\r\n{close}\r\n"
        ));
    }
    let (mut read, mut write) = connect(&app).await.into_split();
    let writer = tokio::spawn(async move { write.write_all(pipeline.as_bytes()).await });
    let mut answers = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), read.read_to_end(&mut answers))
        .await
        .expect("every pipelined request is answered")
        .unwrap();
    writer.await.unwrap().unwrap();
    let answers = String::from_utf8_lossy(&answers);
    assert_eq!(
        answers.matches("HTTP/1.1 404").count(),
        methods.len(),
        "each odd method gets the unknown path's answer"
    );

    let text = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let series: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("courrier_http_requests_total{"))
        .collect();
    assert!(
        series.len() <= 3,
        "a few series, not one per method: {series:?}"
    );
    let odd = series
        .iter()
        .find(|l| l.contains(r#"method="other""#) && l.contains(r#"route="unmatched""#))
        .expect("odd methods counted under `other`");
    let count: f64 = odd.rsplit_once(' ').unwrap().1.parse().unwrap();
    assert!(count >= methods.len() as f64, "{odd}");
    for method in &methods {
        assert!(
            !text.contains(&method[..16]),
            "no method of a client's own in the metrics"
        );
    }
    if let Some(log) = logged() {
        let long = methods.last().unwrap();
        assert!(
            log.contains(&long[..16]),
            "the log shows the start of an odd method"
        );
        assert!(!log.contains(&long[..17]), "and no more of it");
    }
}

#[tokio::test]
async fn a_stalled_sign_in_body_is_answered_408_and_its_connection_closed() {
    let app = app_with(|s| s.http.body_timeout_ms = 300).await;
    // A declared length that never arrives.
    let mut stream = connect(&app).await;
    stream
        .write_all(b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAccept-Language: en\r\nContent-Length: 1000\r\n\r\n{\"email\":")
        .await
        .unwrap();
    let answer = read_to_close(&mut stream, Duration::from_secs(10)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""error":"request_timeout""#), "{answer}");
    assert!(
        answer.contains("did not arrive in time"),
        "in English: {answer}"
    );
    // A chunked body that stalls, on the sign-in, the staff API and a form: answered, and the
    // connection is not kept open to drain it.
    let admin = app.staff("admin").await;
    let bearer = format!("Authorization: Bearer {}\r\n", admin.token);
    for (path, auth) in [
        ("/v1/auth/login", ""),
        ("/v1/users", bearer.as_str()),
        ("/v1/forms/newsroom", ""),
    ] {
        let mut stream = connect(&app).await;
        stream
            .write_all(format!("POST {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{{\"a\":\r\n").as_bytes())
            .await
            .unwrap();
        let answer = read_to_close(&mut stream, Duration::from_secs(10)).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer}");
        assert!(
            answer.contains("n’est pas arrivée à temps"),
            "French by default: {answer}"
        );
    }
    assert_eq!(app.count("submissions"), 0);
}

#[tokio::test]
async fn a_slow_request_head_is_cut_off() {
    let app = app_with(|s| s.http.header_timeout_ms = 300).await;
    let (mut read, mut write) = connect(&app).await.into_split();
    // One header byte every 50 ms, for as long as the server listens.
    let dribble = tokio::spawn(async move {
        let head = b"GET /health/live HTTP/1.1\r\nHost: x\r\n";
        if write.write_all(head).await.is_err() {
            return;
        }
        while write.write_all(b"X").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let mut answer = Vec::new();
    // Far above the 300 ms limit, and below actix's own 5 s default.
    tokio::time::timeout(Duration::from_secs(3), read.read_to_end(&mut answer))
        .await
        .expect("the server gives up on the head and closes")
        .ok();
    dribble.abort();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[tokio::test]
async fn a_full_worker_says_so_and_serves_again_when_a_connection_closes() {
    let app = app_with(|s| {
        s.http.workers = 1;
        s.http.max_connections = 2;
        s.http.header_timeout_ms = 60_000;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = connect(&app).await;
        stream
            .write_all(b"GET /health/live HTTP/1.1\r\n")
            .await
            .unwrap();
        held.push(stream);
    }
    if logged().is_some() {
        crate::helpers::eventually("the cap in the log", Duration::from_secs(10), || {
            logged().is_some_and(|log| log.contains("connection cap reached"))
        })
        .await;
    }
    // A third client waits in the backlog, and is served once a held connection closes.
    let mut third = connect(&app).await;
    third
        .write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    drop(held.pop());
    let answer = read_to_close(&mut third, Duration::from_secs(10)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
