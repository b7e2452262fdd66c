//! Group commit through the web: concurrent posts each answered with their own reference, a
//! race on one idempotency key, and a database away for a whole batch.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::helpers::{free_port, newsroom_body, spawn_app, spawn_app_with, Backend, TestDb};

/// The name, subject and message of post `n`, so its stored row can be told from the others.
fn post(n: usize) -> Value {
    let mut body = newsroom_body();
    body["name"] = json!(format!("Lecteur {n}"));
    body["email"] = json!(format!("lecteur{n}@example.fr"));
    body["message"] = json!(format!("Message numéro {n}"));
    body
}

async fn concurrent_posts_are_all_stored_and_answered_with_their_own_references(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    const POSTS: usize = 40;
    let answers = join_all((0..POSTS).map(|n| {
        let app = &app;
        async move {
            let resp = app.post_json("newsroom", &post(n)).await;
            assert_eq!(resp.status(), 201, "post {n}");
            let body: Value = resp.json().await.unwrap();
            (n, body["reference"].as_str().unwrap().to_owned())
        }
    }))
    .await;
    let mut references: Vec<&str> = answers.iter().map(|(_, r)| r.as_str()).collect();
    references.sort_unstable();
    references.dedup();
    assert_eq!(references.len(), POSTS, "every reference is its own");
    for (n, reference) in &answers {
        use courrier::db::schema::submissions::dsl as s;
        let (name, message): (String, String) = app.with_conn(|c| {
            s::submissions
                .filter(s::reference.eq(reference))
                .select((s::name, s::message))
                .first(c)
                .unwrap()
        });
        assert_eq!(name, format!("Lecteur {n}"), "{reference} answers post {n}");
        assert_eq!(message, format!("Message numéro {n}"));
    }
    let count = POSTS as i64;
    assert_eq!(app.count("submissions"), count);
    assert_eq!(app.count("outbox"), 2 * count);
    assert_eq!(app.count("events"), count);
}

async fn posts_racing_under_one_idempotency_key_store_one_submission(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let body = post(1);
    let answers = join_all((0..12).map(|_| {
        app.client
            .post(app.url("/v1/forms/newsroom"))
            .header("idempotency-key", "course-1")
            .json(&body)
            .send()
    }))
    .await;
    let mut references = Vec::new();
    for resp in answers {
        let resp = resp.unwrap();
        assert_eq!(resp.status(), 201);
        let body: Value = resp.json().await.unwrap();
        references.push(body["reference"].as_str().unwrap().to_owned());
    }
    references.dedup();
    assert_eq!(
        references.len(),
        1,
        "every post answers as the first: {references:?}"
    );
    assert_eq!(app.count("submissions"), 1);
    assert_eq!(app.count("idempotency_keys"), 1);
    assert_eq!(app.count("outbox"), 2);
}

async fn a_database_away_answers_every_post_of_the_batch_503(b: Backend) {
    let db = std::sync::Arc::new(TestDb::new(b));
    let app = spawn_app_with(db, free_port(), |s| {
        s.mail.run_worker = false;
        s.database.acquire_timeout_ms = 300;
        s.database.sqlite_busy_timeout_ms = 200;
    })
    .await;
    // The pool is warm: the batch's connection exists before the database goes away.
    assert_eq!(app.post_json("newsroom", &post(0)).await.status(), 201);
    let mut holder = None;
    match b {
        Backend::Sqlite => {
            let path = app.db.url.trim_start_matches("sqlite://").to_owned();
            let mut other = SqliteConnection::establish(&path).unwrap();
            other.batch_execute("BEGIN EXCLUSIVE").unwrap();
            holder = Some(other);
        }
        Backend::Postgres => {
            let (mut admin, name) = app.db.pg_admin().unwrap();
            admin
                .batch_execute(&format!(
                    "ALTER DATABASE {name} ALLOW_CONNECTIONS false; \
                     SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
                ))
                .unwrap();
        }
    }
    let answers = join_all((1..=8).map(|n| {
        let app = &app;
        async move { app.post_json("newsroom", &post(n)).await }
    }))
    .await;
    for resp in answers {
        assert_eq!(resp.status(), 503);
        assert!(resp.headers().contains_key("retry-after"));
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "service_unavailable");
    }
    match holder {
        Some(mut other) => other.batch_execute("ROLLBACK").unwrap(),
        None => {
            let (mut admin, name) = app.db.pg_admin().unwrap();
            admin
                .batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
                .unwrap();
        }
    }
    // Counted on a new connection: the pool may still hold idle ones that the database ended
    // (each fails once, when next used, and is then replaced).
    let count = |table: &str| -> i64 {
        use diesel::dsl::sql;
        use diesel::sql_types::BigInt;
        let query = sql::<BigInt>(&format!("(SELECT COUNT(*) FROM {table})"));
        match b {
            Backend::Sqlite => app.count(table),
            Backend::Postgres => {
                let mut fresh = diesel::PgConnection::establish(&app.db.url).unwrap();
                diesel::select(query).get_result(&mut fresh).unwrap()
            }
        }
    };
    assert_eq!(
        count("submissions"),
        1,
        "none of the refused posts was stored"
    );
    assert_eq!(count("outbox"), 2);
}

crate::on_both_backends!(
    concurrent_posts_are_all_stored_and_answered_with_their_own_references,
    posts_racing_under_one_idempotency_key_store_one_submission,
    a_database_away_answers_every_post_of_the_batch_503,
);
