//! The newsroom's duties: right of reply by the law (publication date, escalations, outcomes)
//! and corrections.

mod consent;
mod corrections;
mod escalations;
mod right_of_reply;

use std::sync::Arc;

use courrier::desk::Context;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::helpers::{newsroom_body, test_settings, TestApp};

/// A right-of-reply request about an article published `days_ago` days ago.
pub fn right_of_reply(days_ago: Option<i64>) -> Value {
    let mut body = newsroom_body();
    body["topic"] = json!("right_of_reply");
    if let Some(days) = days_ago {
        let date = chrono::Utc::now().date_naive() - chrono::Duration::days(days);
        body["article_published_at"] = json!(date.to_string());
    }
    body
}

/// Posts a body to the newsroom form; returns (reference, id).
pub async fn post(app: &TestApp, body: &Value) -> (String, String) {
    let resp = app.post_json("newsroom", body).await;
    assert_eq!(resp.status(), 201);
    let answer: Value = resp.json().await.unwrap();
    let reference = answer["reference"].as_str().unwrap().to_owned();
    let id = app.with_conn(|c| {
        courrier::db::submissions::by_reference(c, &reference)
            .unwrap()
            .id
    });
    (reference, id)
}

/// Another instance's desk on the same database (for the scheduler), mail to `smtp_port`.
pub async fn another_instance(app: &TestApp, smtp_port: u16) -> Context {
    let mut settings = test_settings(&app.db.url, smtp_port);
    settings.duties.run_scheduler = false;
    settings.mail.run_worker = false;
    Context::open(
        settings,
        Arc::new(courrier::instruments::Instruments::new()),
    )
    .await
    .unwrap()
}

/// Moves a submission's deadline to `from_now` from now: how tests move time.
pub fn move_deadline(app: &TestApp, id: &str, from_now: chrono::Duration) {
    use courrier::db::schema::submissions::dsl as s;
    let at = chrono::Utc::now().naive_utc() + from_now;
    app.with_conn(|c| {
        diesel::update(s::submissions.filter(s::id.eq(id)))
            .set(s::deadline_at.eq(Some(at)))
            .execute(c)
            .unwrap()
    });
}

/// The outbox's e-mails for one submission: (purpose, recipients, subject), oldest first.
pub fn mails_of(app: &TestApp, id: &str) -> Vec<(String, String, String)> {
    use courrier::db::schema::outbox::dsl as o;
    app.with_conn(|c| {
        o::outbox
            .filter(o::submission_id.eq(id))
            .order((o::created_at.asc(), o::id.asc()))
            .select((o::purpose, o::recipients, o::subject))
            .load::<(String, String, String)>(c)
            .unwrap()
    })
}

/// Moves a submission from `new` to `open`, as staff do before closing it.
pub async fn open(app: &TestApp, who: &crate::helpers::Staff, path: &str) {
    use crate::helpers::Answer;
    app.patch_as(who, path)
        .json(&json!({"status": "open"}))
        .json_ok()
        .await;
}
