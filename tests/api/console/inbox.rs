//! The console inbox: what each account sees, filters, search, keyset paging, the overdue
//! marking, the side panel, and bulk spam handling.

use diesel::prelude::*;
use serde_json::json;

use super::{api_detail, Browser};
use crate::helpers::{newsroom_body, spawn_app, Backend, MailSink, SinkMode};

fn rows(body: &str) -> usize {
    body.matches("name=\"ids\"").count()
}

async fn the_inbox_filters_and_searches_what_the_account_may_see(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    let (tip, _) = app.submit("newsroom").await;
    let (other, _) = app.submit("newsroom").await;
    let (lead, _) = app.submit("sales").await;
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;

    let inbox = browser.get("/staff/").await;
    assert_eq!(rows(&inbox.body), 2);
    assert!(inbox.body.contains(&tip) && inbox.body.contains(&other));
    assert!(!inbox.body.contains(&lead));
    // Newest first.
    assert!(inbox.body.find(&other).unwrap() < inbox.body.find(&tip).unwrap());
    // Each row: name, topic, subject, status, age.
    assert!(inbox.body.contains("Zoé Martin"));
    assert!(inbox.body.contains("Information / tuyau"));
    assert!(inbox.body.contains("Fuite d’eau à la médiathèque"));
    assert!(inbox.body.contains("nouveau"));

    let found = browser.get(&format!("/staff/?q={tip}")).await;
    assert_eq!(rows(&found.body), 1);
    assert!(found.body.contains(&tip));
    assert_eq!(rows(&browser.get("/staff/?status=spam").await.body), 0);
    assert_eq!(
        rows(&browser.get("/staff/?status=new&queue=editorial").await.body),
        2
    );
    assert_eq!(rows(&browser.get("/staff/?topic=correction").await.body), 0);
    assert_eq!(rows(&browser.get("/staff/?assignee=me").await.body), 0);
    assert_eq!(rows(&browser.get("/staff/?assignee=none").await.body), 2);
    // A value the filter does not know is a bad request, not an empty list.
    assert_eq!(browser.get("/staff/?status=lost").await.status, 400);
    // The side panel counts the visible queue by status.
    assert!(inbox.body.contains("Rédaction"));
    assert!(!inbox.body.contains("Service commercial"));
}

async fn the_inbox_pages_by_keyset_without_repeating(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    for _ in 0..53 {
        app.submit("newsroom").await;
    }
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    let first = browser.get("/staff/").await;
    assert_eq!(rows(&first.body), 50);
    let start = first
        .body
        .find("rel=\"next\" href=\"")
        .expect("a next link")
        + 17;
    let next =
        first.body[start..start + first.body[start..].find('"').unwrap()].replace("&amp;", "&");
    let second = browser.get(&next).await;
    assert_eq!(second.status, 200);
    assert_eq!(rows(&second.body), 3);
    assert!(!second.body.contains("rel=\"next\""));
    let ids = |body: &str| -> Vec<String> {
        body.match_indices("name=\"ids\" value=\"")
            .map(|(i, m)| body[i + m.len()..i + m.len() + 36].to_owned())
            .collect()
    };
    let (a, b2) = (ids(&first.body), ids(&second.body));
    assert!(b2.iter().all(|id| !a.contains(id)));
}

async fn an_overdue_right_of_reply_is_marked_by_text(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    let mut reply = newsroom_body();
    reply["topic"] = json!("right_of_reply");
    let late: serde_json::Value = app
        .post_json("newsroom", &reply)
        .await
        .json()
        .await
        .unwrap();
    let late = late["reference"].as_str().unwrap().to_owned();
    let on_time: serde_json::Value = app
        .post_json("newsroom", &reply)
        .await
        .json()
        .await
        .unwrap();
    let on_time = on_time["reference"].as_str().unwrap().to_owned();
    app.with_conn(|c| {
        use courrier::db::schema::submissions::dsl::*;
        diesel::update(submissions.filter(reference.eq(&late)))
            .set(deadline_at.eq(courrier::db::now() - chrono::Duration::hours(1)))
            .execute(c)
            .unwrap();
    });
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    let inbox = browser.get("/staff/").await;
    let row = |r: &str| {
        let at = inbox.body.find(&format!("pick-{r}")).unwrap();
        let start = inbox.body[..at].rfind("<tr").unwrap();
        let end = at + inbox.body[at..].find("</tr>").unwrap();
        inbox.body[start..end].to_owned()
    };
    assert!(row(&late).contains("class=\"overdue\""));
    assert!(row(&late).contains("En retard"));
    assert!(row(&on_time).contains("restant"), "{}", row(&on_time));
    assert!(!row(&on_time).contains("En retard"));
    let overdue = browser.get("/staff/?overdue=1").await;
    assert_eq!(rows(&overdue.body), 1);
    assert!(overdue.body.contains(&late));
}

async fn a_sales_account_never_sees_editorial_submissions(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let sales = app.staff("sales").await;
    let (tip, tip_id) = app.submit("newsroom").await;
    let (lead, _) = app.submit("sales").await;
    let browser = Browser::new(&app);
    browser.sign_in(&sales).await;
    let inbox = browser.get("/staff/").await;
    assert!(inbox.body.contains(&lead));
    assert!(!inbox.body.contains(&tip));
    assert!(!inbox.body.contains("Rédaction"));
    assert!(!inbox.body.contains("Information / tuyau"));
    assert_eq!(
        rows(&browser.get(&format!("/staff/?q={tip}")).await.body),
        0
    );
    assert_eq!(rows(&browser.get("/staff/?queue=editorial").await.body), 0);
    let hidden = browser.get(&format!("/staff/submissions/{tip}")).await;
    let missing = browser.get("/staff/submissions/ZZZZ-ZZZZ").await;
    assert_eq!(hidden.status, 404);
    assert_eq!(missing.status, 404);
    assert_eq!(hidden.body, missing.body);
    // Nor can a form reach it: its actions answer as for a missing one.
    let page = browser.get(&format!("/staff/submissions/{lead}")).await;
    let csrf = page.csrf();
    let note = browser
        .post(
            &format!("/staff/submissions/{tip}/notes"),
            &[("csrf", &csrf), ("body", "vu")],
        )
        .await;
    assert_eq!(note.status, 404);
    let bulk = browser
        .post(
            "/staff/bulk",
            &[("csrf", &csrf), ("ids", &tip_id), ("action", "spam")],
        )
        .await;
    assert_eq!(bulk.location(), "/staff/?done=bulk&n=0");
    assert_eq!(app.count("notes"), 0);
}

async fn bulk_marks_spam_and_releases(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    let (r1, id1) = app.submit("newsroom").await;
    let (r2, id2) = app.submit("newsroom").await;
    let (r3, _) = app.submit("newsroom").await;
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;

    let refused = browser
        .post(
            "/staff/bulk",
            &[("csrf", "nope"), ("ids", &id1), ("action", "spam")],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(api_detail(&app, &editor, &r1).await["status"], "new");

    let done = browser
        .submit(
            "/staff/",
            "/staff/bulk",
            &[("ids", &id1), ("ids", &id2), ("action", "spam")],
        )
        .await;
    assert_eq!(done.location(), "/staff/?done=bulk&n=2");
    assert!(browser
        .get(done.location())
        .await
        .body
        .contains("Messages mis à jour : 2"));
    for r in [&r1, &r2] {
        assert_eq!(api_detail(&app, &editor, r).await["status"], "spam");
    }
    assert_eq!(api_detail(&app, &editor, &r3).await["status"], "new");
    let released = browser
        .submit(
            "/staff/",
            "/staff/bulk",
            &[("ids", &id1), ("action", "release")],
        )
        .await;
    assert_eq!(released.location(), "/staff/?done=bulk&n=1");
    assert_eq!(api_detail(&app, &editor, &r1).await["status"], "open");
    assert_eq!(api_detail(&app, &editor, &r2).await["status"], "spam");
}

crate::on_both_backends!(
    the_inbox_filters_and_searches_what_the_account_may_see,
    the_inbox_pages_by_keyset_without_repeating,
    an_overdue_right_of_reply_is_marked_by_text,
    a_sales_account_never_sees_editorial_submissions,
    bulk_marks_spam_and_releases,
);
