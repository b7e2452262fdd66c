//! Failure paths: the database refusing or vanishing never yields a half-written submission.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::Value;

use crate::helpers::{free_port, newsroom_body, spawn_app, Backend};

async fn submission_and_its_emails_are_written_together_or_not_at_all(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    // Make the second e-mail of the transaction fail, after the submission row and the first
    // e-mail were written.
    let sql = match b {
        Backend::Sqlite => "CREATE TRIGGER outbox_fail BEFORE INSERT ON outbox \
            WHEN NEW.purpose = 'reader_ack' BEGIN SELECT RAISE(ABORT, 'simulated failure'); END;",
        Backend::Postgres => "CREATE FUNCTION fail_ack() RETURNS trigger AS $$ BEGIN \
            IF NEW.purpose = 'reader_ack' THEN RAISE EXCEPTION 'simulated failure'; END IF; \
            RETURN NEW; END $$ LANGUAGE plpgsql; \
            CREATE TRIGGER outbox_fail BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION fail_ack();",
    };
    app.with_conn(|c| c.batch_execute(sql).unwrap());
    let resp = app.post_json("newsroom", &newsroom_body()).await;
    assert_eq!(resp.status(), 500);
    let body = resp.text().await.unwrap();
    assert!(
        !body.contains("simulated"),
        "the cause stays out of the answer: {body}"
    );
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"], "internal_error");
    assert_eq!(app.count("submissions"), 0);
    assert_eq!(app.count("outbox"), 0);
    assert_eq!(app.count("events"), 0);
    app.with_conn(|c| {
        c.batch_execute("DROP TRIGGER outbox_fail ON outbox")
            .or_else(|_| c.batch_execute("DROP TRIGGER outbox_fail"))
            .unwrap()
    });
    assert_eq!(
        app.post_json("newsroom", &newsroom_body()).await.status(),
        201
    );
    assert_eq!(app.count("outbox"), 2);
}

async fn unreachable_database_answers_503_with_retry_after(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    match b {
        Backend::Sqlite => {
            // Another process holds SQLite's write lock longer than the busy timeout.
            let path = app.db.url.trim_start_matches("sqlite://").to_owned();
            let mut other = SqliteConnection::establish(&path).unwrap();
            other.batch_execute("BEGIN EXCLUSIVE").unwrap();
            let resp = app.post_json("newsroom", &newsroom_body()).await;
            assert_eq!(resp.status(), 503);
            assert!(resp.headers().contains_key("retry-after"));
            let json: Value = resp.json().await.unwrap();
            assert_eq!(json["error"], "service_unavailable");
            other.batch_execute("ROLLBACK").unwrap();
        }
        Backend::Postgres => {
            let (mut admin, name) = app.db.pg_admin().unwrap();
            admin
                .batch_execute(&format!(
                    "ALTER DATABASE {name} ALLOW_CONNECTIONS false; \
                     SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
                ))
                .unwrap();
            let resp = app.post_json("newsroom", &newsroom_body()).await;
            assert_eq!(resp.status(), 503);
            assert!(resp.headers().contains_key("retry-after"));
            let json: Value = resp.json().await.unwrap();
            assert_eq!(json["error"], "service_unavailable");
            let ready = app.get("/health/ready").await;
            assert_eq!(
                ready.status(),
                503,
                "not ready while the database is unreachable"
            );
            admin
                .batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
                .unwrap();
        }
    }
    // Back to normal: the refused submission was not stored, the next one is.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let status = app.post_json("newsroom", &newsroom_body()).await.status();
        if status == 201 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still {status}");
    }
    assert_eq!(app.count("submissions"), 1);
    assert_eq!(app.count("outbox"), 2);
}

async fn html_form_gets_a_localised_503_page(b: Backend) {
    if b != Backend::Sqlite {
        return; // The SQLite lock is the simplest way to make the database refuse.
    }
    let app = spawn_app(b, free_port()).await;
    let path = app.db.url.trim_start_matches("sqlite://").to_owned();
    let mut other = SqliteConnection::establish(&path).unwrap();
    other.batch_execute("BEGIN EXCLUSIVE").unwrap();
    let resp = app
        .post_form(
            "newsroom",
            "name=A&email=a%40example.fr&topic=tip&message=m&consent=on",
        )
        .await;
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().contains_key("retry-after"));
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("n’a pas été enregistré"));
    other.batch_execute("ROLLBACK").unwrap();
}

async fn exhausted_pool_answers_503_and_stores_nothing(b: Backend) {
    let app = crate::helpers::spawn_app_with(
        std::sync::Arc::new(crate::helpers::TestDb::new(b)),
        free_port(),
        |s| {
            s.database.pool_size = 1;
            s.database.acquire_timeout_ms = 300;
            s.mail.run_worker = false;
        },
    )
    .await;
    let held = app.pool.get().unwrap();
    let resp = app.post_json("newsroom", &newsroom_body()).await;
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers()["retry-after"], "5");
    drop(held);
    assert_eq!(app.count("submissions"), 0);
    assert_eq!(
        app.post_json("newsroom", &newsroom_body()).await.status(),
        201
    );
}

async fn a_body_that_never_ends_is_cut_off(b: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = crate::helpers::spawn_app_with(
        std::sync::Arc::new(crate::helpers::TestDb::new(b)),
        free_port(),
        |s| s.http.body_timeout_ms = 300,
    )
    .await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST /v1/forms/newsroom HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"name\":")
        .await
        .unwrap();
    let mut answer = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("the server answers without waiting for the rest")
        .unwrap();
    let head = String::from_utf8_lossy(&answer[..n]);
    assert!(head.starts_with("HTTP/1.1 408"), "{head}");
    assert_eq!(app.count("submissions"), 0);
}

crate::on_both_backends!(
    exhausted_pool_answers_503_and_stores_nothing,
    a_body_that_never_ends_is_cut_off,
    submission_and_its_emails_are_written_together_or_not_at_all,
    unreachable_database_answers_503_with_retry_after,
    html_form_gets_a_localised_503_page,
);
