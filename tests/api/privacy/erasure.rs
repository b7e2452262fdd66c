//! Erasure (Art. 17): the address's personal data leaves every table, searched column by
//! column in the live schema; legal holds stay; pending mail is cancelled; limits forget it.

use std::sync::Arc;

use courrier::config::LimitStore;
use secrecy::SecretString;
use serde_json::{json, Value};

use super::{
    app, app_with, count_where, populate, post, record, search_everywhere, traces_elsewhere, Person,
};
use crate::helpers::{
    newsroom_body, spawn_app_with, Answer, Backend, MailSink, SinkMode, Staff, TestApp, TestDb,
};

pub async fn erase(app: &TestApp, admin: &Staff, email: &str) -> Value {
    app.post_as(admin, "/v1/privacy/erasures")
        .json(&json!({ "email": email }))
        .json_ok()
        .await
}

async fn erasure_leaves_nothing_of_the_address_in_any_column_of_any_table(b: Backend) {
    let (app, sink) = app(b).await;
    let admin = app.staff("admin").await;
    let person = Person::new();
    let history = populate(&app, &sink, &admin, &person).await;
    // Someone else, who must stay whole.
    let other = post(&app, "newsroom", &newsroom_body()).await;
    // Issue 21, finding 6: what they wrote into that reader's thread (the message, its raw
    // mail, the team's notice quoting it), and a stray bounce naming them.
    traces_elsewhere(&app, &sink, &person, &other).await;
    let other_messages = record(&app, &admin, &other).await["messages"]
        .as_array()
        .unwrap()
        .len();
    let acks_before = app.count("ack_log");
    let found = search_everywhere(&app, &person.needles());
    for table in [
        "submissions",
        "messages",
        "outbox",
        "inbound_mail",
        "login_throttle",
    ] {
        assert!(
            found.iter().any(|f| f.starts_with(&format!("{table}."))),
            "the search sees {table} before the erasure: {found:#?}"
        );
    }
    let elsewhere = person.elsewhere.to_lowercase();
    for column in ["messages.body", "inbound_mail.raw", "outbox.body_text"] {
        assert!(
            found
                .iter()
                .any(|f| f.starts_with(&format!("{column}: {elsewhere}"))),
            "the search sees what they wrote on another thread in {column}: {found:#?}"
        );
    }

    // Asked in another case than they typed it.
    let report = erase(&app, &admin, &person.email.to_uppercase()).await;
    assert_eq!(report["email"], person.email.to_lowercase());
    let mut erased: Vec<&str> = report["erased"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    erased.sort_unstable();
    let mut expected = vec![history.newsroom.as_str(), history.sales.as_str()];
    expected.sort_unstable();
    assert_eq!(erased, expected);
    assert_eq!(report["held"], json!([]));
    let tables = &report["tables"];
    assert_eq!(tables["submissions"], 2, "{report}");
    assert_eq!(tables["notes"], 1, "{report}");
    assert_eq!(tables["idempotency_keys"], 1, "{report}");
    assert!(tables["messages"].as_u64().unwrap() >= 2, "{report}");
    assert!(tables["outbox"].as_u64().unwrap() >= 6, "{report}");
    assert_eq!(
        tables["inbound_mail"], 4,
        "the answer, the lost message, the one on another thread and the bounce: {report}"
    );
    assert!(tables["login_throttle"].as_u64().unwrap() >= 1, "{report}");
    assert_eq!(tables["ack_log"], 2, "{report}");
    assert_eq!(app.count("ack_log"), acks_before - 2);

    let left = search_everywhere(&app, &person.needles());
    assert!(left.is_empty(), "found after the erasure: {left:#?}");
    // Issue 21, finding 9: nor in SQLite's write-ahead log, where the pages as they were before
    // the erasure would otherwise wait for the next checkpoint (and stay in the file after it).
    if app.db.backend() == Backend::Sqlite {
        let path = app.db.url.trim_start_matches("sqlite://");
        let wal = std::fs::read(format!("{path}-wal")).unwrap_or_default();
        let wal = String::from_utf8_lossy(&wal).to_lowercase();
        for needle in person.needles() {
            assert_eq!(
                wal.matches(&needle).count(),
                0,
                "the -wal file ({} bytes) still holds {needle}",
                wal.len()
            );
        }
    }

    // Tombstones, one per reference, and the audit event, neither naming the person.
    assert_eq!(
        count_where(
            &app,
            &format!(
                "tombstones WHERE rule = 'erasure' AND reference IN ('{}', '{}')",
                history.newsroom, history.sales
            )
        ),
        2
    );
    assert_eq!(
        count_where(
            &app,
            &format!(
                "events WHERE kind = 'privacy_erasure' AND actor = '{}' AND submission_id IS NULL",
                admin.id
            )
        ),
        1
    );
    // The other reader is untouched, but for the message the person put on their thread.
    let r = record(&app, &admin, &other).await;
    assert_eq!(r["email"], "zoe.martin@example.fr");
    assert_eq!(r["messages"].as_array().unwrap().len(), other_messages - 1);
    // Erasing again finds nothing more.
    let again = erase(&app, &admin, &person.email).await;
    assert_eq!(again["erased"], json!([]));
    assert_eq!(again["tables"]["submissions"], 0);
}

async fn a_submission_on_legal_hold_is_reported_and_left_alone(b: Backend) {
    let (app, sink) = app(b).await;
    let admin = app.staff("admin").await;
    let person = Person::new();
    let held = post(&app, "newsroom", &person.newsroom()).await;
    let free = post(&app, "sales", &person.sales()).await;
    sink.wait_for(4).await;
    let note = app
        .post_as(&admin, &format!("/v1/submissions/{held}/notes"))
        .json(&json!({ "body": "Litige en cours" }))
        .send()
        .await
        .unwrap();
    assert_eq!(note.status(), 201);
    app.with_conn(|c| {
        use diesel::prelude::*;
        diesel::sql_query(format!(
            "UPDATE submissions SET legal_hold = true WHERE reference = '{held}'"
        ))
        .execute(c)
        .unwrap();
    });
    let report = erase(&app, &admin, &person.email).await;
    assert_eq!(report["held"], json!([held]));
    assert_eq!(report["erased"], json!([free]));
    // The held one keeps everything: the address, the note, its e-mails.
    let r = record(&app, &admin, &held).await;
    assert_eq!(r["email"], person.stored_email());
    assert_eq!(r["notes"].as_array().unwrap().len(), 1);
    assert!(!r["deliveries"].as_array().unwrap().is_empty());
    let gone = app
        .get_as(&admin, &format!("/v1/submissions/{free}"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
    assert_eq!(
        count_where(&app, &format!("tombstones WHERE reference = '{held}'")),
        0
    );
}

async fn erasure_cancels_the_addresss_pending_emails(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = app_with(b, &sink, |s| s.mail.run_worker = false).await;
    let admin = app.staff("admin").await;
    let person = Person::new();
    let other = post(&app, "newsroom", &newsroom_body()).await;
    post(&app, "sales", &person.sales()).await;
    post(&app, "newsroom", &person.newsroom()).await;
    let pending = count_where(&app, "outbox WHERE status = 'pending'");
    assert_eq!(pending, 6, "three submissions, two e-mails each, none sent");
    let report = erase(&app, &admin, &person.email).await;
    assert_eq!(report["cancelled_emails"], 4, "{report}");
    app.dispatch_all_pending().await;
    let sent = sink.accepted();
    assert_eq!(sent.len(), 2, "only the other reader's e-mails leave");
    assert!(sent.iter().all(|m| !String::from_utf8_lossy(&m.raw)
        .to_lowercase()
        .contains(&person.email.to_lowercase())));
    assert!(sent
        .iter()
        .any(|m| m.header("Subject").unwrap().contains(&other)));
}

/// A reader at the per-address flood limit is let through again once erased: the limiter's
/// count of the address is gone, in memory or in Redis.
async fn flood_limits_forget_the_erased_address(store: Option<String>) {
    let sink = MailSink::start(SinkMode::Accept);
    let prefix = format!("courrier-test-{}", uuid::Uuid::now_v7().simple());
    let app = spawn_app_with(Arc::new(TestDb::new(Backend::Sqlite)), sink.port, |s| {
        s.limits.form_per_email_per_hour = 2;
        s.mail.run_worker = false;
        if let Some(url) = store {
            s.limits.store = LimitStore::Redis(SecretString::from(url));
            s.limits.store_prefix = prefix;
        }
    })
    .await;
    let admin = app.staff("admin").await;
    let person = Person::new();
    for _ in 0..2 {
        post(&app, "newsroom", &person.newsroom()).await;
    }
    let refused = app.post_json("newsroom", &person.newsroom()).await;
    assert_eq!(refused.status(), 429);
    let report = erase(&app, &admin, &person.email).await;
    assert_eq!(report["limits_cleared"], true, "{report}");
    let again = app.post_json("newsroom", &person.newsroom()).await;
    assert_eq!(again.status(), 201, "the limit forgot the erased address");
}

#[tokio::test]
async fn the_in_process_flood_limit_forgets_the_erased_address() {
    flood_limits_forget_the_erased_address(None).await;
}

#[tokio::test]
async fn the_shared_flood_limit_in_redis_forgets_the_erased_address() {
    let url = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    flood_limits_forget_the_erased_address(Some(url)).await;
}

async fn erasure_is_for_admins_only_and_wants_an_address(b: Backend) {
    let (app, sink) = app(b).await;
    let editor = app.staff("editor").await;
    let person = Person::new();
    let reference = post(&app, "newsroom", &person.newsroom()).await;
    sink.wait_for(2).await;
    for path in ["/v1/privacy/erasures", "/v1/privacy/exports"] {
        let body = json!({ "email": person.email });
        let forbidden = app.post_as(&editor, path).json(&body).send().await.unwrap();
        assert_eq!(forbidden.status(), 403, "{path}");
        let anonymous = app
            .client
            .post(app.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401, "{path}");
        let admin = app.staff("admin").await;
        let invalid = app
            .post_as(&admin, path)
            .json(&json!({ "email": "not an address" }))
            .send()
            .await
            .unwrap();
        assert_eq!(invalid.status(), 422, "{path}");
        let answer: Value = invalid.json().await.unwrap();
        assert!(answer["fields"]["email"].is_array(), "{answer}");
        let unknown = app
            .post_as(&admin, path)
            .json(&json!({ "email": person.email, "name": "x" }))
            .send()
            .await
            .unwrap();
        assert_eq!(unknown.status(), 400, "{path}: unknown fields");
        let get = app.get_as(&admin, path).send().await.unwrap();
        assert_eq!(
            get.status(),
            405,
            "{path}: POST only, so the address stays out of URLs"
        );
    }
    // Nothing was erased by the refused requests.
    assert_eq!(
        count_where(
            &app,
            &format!("submissions WHERE reference = '{reference}'")
        ),
        1
    );
    assert_eq!(count_where(&app, "events WHERE kind LIKE 'privacy_%'"), 0);
}

#[tokio::test]
async fn sqlite_connections_overwrite_what_they_delete() {
    #[derive(diesel::QueryableByName)]
    struct SecureDelete {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        secure_delete: i32,
    }
    let sink = MailSink::start(SinkMode::Accept);
    let app = app_with(Backend::Sqlite, &sink, |_| {}).await;
    // Every pooled connection, not only the first one.
    let conns: Vec<_> = (0..3).map(|_| app.pool.get().unwrap()).collect();
    for mut conn in conns {
        use diesel::RunQueryDsl;
        let on = diesel::sql_query("PRAGMA secure_delete")
            .get_result::<SecureDelete>(&mut **conn)
            .unwrap();
        assert_eq!(on.secure_delete, 1);
    }
}

/// Issue 21, finding 13: a staff reply written while an erasure takes its submission away finds
/// nothing (404), not a foreign-key failure (500). The race is made certain here: the reply is
/// written, through the same storage call the use case makes, for a submission erased after it
/// was read.
async fn a_reply_stored_after_its_submission_was_erased_is_not_found(b: Backend) {
    use courrier::db::events::NewEvent;
    use courrier::db::messages::{insert_reply, MessageRow};
    use courrier::db::outbox::NewOutboxRow;
    use courrier::db::DbError;
    use courrier::domain::{MailPurpose, MailStatus};

    let (app, sink) = app(b).await;
    let admin = app.staff("admin").await;
    let person = Person::new();
    let reference = post(&app, "newsroom", &person.newsroom()).await;
    sink.wait_for(2).await;
    let id = record(&app, &admin, &reference).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    erase(&app, &admin, &person.email).await;
    let now = courrier::db::now();
    let mail = NewOutboxRow {
        id: uuid::Uuid::now_v7().to_string(),
        submission_id: Some(id.clone()),
        purpose: MailPurpose::StaffReply,
        from_addr: "redaction@journal.example".into(),
        recipients: "lecteur@exemple.org".into(),
        reply_to: None,
        subject: "Re".into(),
        body_text: "Merci".into(),
        body_html: "<p>Merci</p>".into(),
        message_id: format!("<{}@journal.example>", uuid::Uuid::now_v7().simple()),
        in_reply_to: None,
        list_unsubscribe: None,
        status: MailStatus::Pending,
        attempts: 0,
        next_attempt_at: now,
        created_at: now,
    };
    let reply = MessageRow {
        id: uuid::Uuid::now_v7().to_string(),
        submission_id: id.clone(),
        direction: "outbound".into(),
        author_id: Some(admin.id.clone()),
        outbox_id: Some(mail.id.clone()),
        message_id: mail.message_id.clone(),
        subject: "Re".into(),
        body: "Merci".into(),
        created_at: now,
    };
    let event = NewEvent::new(
        Some(&id),
        &admin.id,
        courrier::domain::EventKind::ReplySent,
        &json!({}),
        now,
    );
    let result = app.with_conn(|c| insert_reply(c, &mail, &reply, &event));
    assert!(matches!(result, Err(DbError::NotFound)), "{result:?}");
    assert_eq!(
        count_where(&app, &format!("outbox WHERE id = '{}'", mail.id)),
        0
    );
    // Through the API, once it is gone, the same answer.
    let late = app
        .post_as(&admin, &format!("/v1/submissions/{reference}/replies"))
        .json(&json!({ "body": "Merci" }))
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), 404);
}

crate::on_both_backends!(
    a_reply_stored_after_its_submission_was_erased_is_not_found,
    erasure_leaves_nothing_of_the_address_in_any_column_of_any_table,
    a_submission_on_legal_hold_is_reported_and_left_alone,
    erasure_cancels_the_addresss_pending_emails,
    erasure_is_for_admins_only_and_wants_an_address,
);
