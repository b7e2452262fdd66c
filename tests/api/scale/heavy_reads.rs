//! Reports and text searches never starve the forms (issue 21, finding 5): staff asking for
//! many whole-range reports and full-table searches at once get answers or `503` with
//! `Retry-After`, and every reader's post meanwhile is stored (201).

use std::sync::Arc;

use futures_util::future::join_all;

use crate::helpers::{
    newsroom_body, spawn_app_with, test_settings, Backend, MailSink, SinkMode, TestDb,
};

async fn parallel_reports_and_searches_leave_every_reader_post_through(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    // A small main pool that gives up quickly: what reports take from it, the forms miss.
    let app = spawn_app_with(Arc::new(TestDb::new(b)), sink.port, |s| {
        s.database.pool_size = 2;
        s.database.acquire_timeout_ms = 100;
        s.mail.run_worker = false;
    })
    .await;
    // Enough rows that a whole-range report, or a search matching nothing, takes a while.
    let router = test_settings(&app.db.url, sink.port).router().unwrap();
    courrier::desk::seed::seed(&app.pool, &router, 30_000)
        .await
        .unwrap();
    let sales = app.staff("sales").await;
    let editor = app.staff("editor").await;
    let reports = (0..32).map(|_| {
        app.get_as(&sales, "/v1/reports/desk?from=2000-01-01&to=2099-12-31")
            .send()
    });
    let searches = (0..16).map(|_| {
        app.get_as(&editor, "/v1/submissions?q=nulle-part-introuvable")
            .send()
    });
    // The posts go one after another while the reports and searches are under way.
    let body = newsroom_body();
    let posts = async {
        let mut statuses = Vec::new();
        for _ in 0..12 {
            statuses.push(app.post_json("newsroom", &body).await.status().as_u16());
        }
        statuses
    };
    let (reports, searches, posted) = tokio::join!(join_all(reports), join_all(searches), posts);

    assert_eq!(posted, vec![201; 12], "every reader post is stored");
    // Those past the bound are told to come back; at least the first ones are answered.
    let mut answered = 0;
    for (kind, answers) in [("report", reports), ("search", searches)] {
        for r in answers {
            let r = r.unwrap();
            match r.status().as_u16() {
                200 => answered += 1,
                503 => assert!(r.headers().contains_key("retry-after"), "{kind}"),
                other => panic!("{kind}: {other} {}", r.text().await.unwrap()),
            }
        }
    }
    assert!(answered >= 1, "some report or search is answered");
}

crate::on_both_backends!(parallel_reports_and_searches_leave_every_reader_post_through);
