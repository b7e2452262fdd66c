//! The triage loop in a real browser, clicks and page loads counted by the test: today's
//! unassigned tips in one click from the inbox, everything from one reader in one click from
//! the inbox, and the deadline column in view at 1280 px.

use diesel::prelude::*;
use fantoccini::Locator;
use serde_json::json;

use super::{Browser, Js};
use crate::helpers::{newsroom_body, spawn_app, Backend, MailSink, SinkMode};
use crate::triage_list::patch;

/// What the test did to reach a page: each click, and each page the browser loaded for it.
#[derive(Default, Debug)]
struct Effort {
    clicks: u32,
    loads: u32,
}

impl Effort {
    /// A click that loads a page.
    async fn follow(&mut self, b: &Browser, css: &str) {
        b.submit(css).await;
        self.clicks += 1;
        self.loads += 1;
    }
}

async fn rows(b: &Browser) -> Vec<String> {
    let mut refs = Vec::new();
    for cell in b
        .client
        .find_all(Locator::Css("tbody tr td:nth-child(2) a"))
        .await
        .unwrap()
    {
        refs.push(cell.text().await.unwrap());
    }
    refs
}

/// The right edge of what `css` finds, and the page's width: the column is in view when it
/// ends within the page and within the table's scrolling box.
async fn in_view(b: &Browser, css: &str) -> bool {
    let (x, _, w, _) = b
        .client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .rectangle()
        .await
        .unwrap();
    let (_, _, page, _) = b
        .client
        .find(Locator::Css("html"))
        .await
        .unwrap()
        .rectangle()
        .await
        .unwrap();
    let (bx, _, bw, _) = b
        .client
        .find(Locator::Css("#bulk"))
        .await
        .unwrap()
        .rectangle()
        .await
        .unwrap();
    x + w <= page + 0.5 && x + w <= bx + bw + 0.5
}

async fn todays_unassigned_tips_in_one_click(js: Js) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(Backend::Sqlite, sink.port).await;
    let editor = app.staff("editor").await;
    let mut long = newsroom_body();
    long["name"] = json!("Marie-Christine de La Tour d’Auvergne-Lauraguais");
    long["topic"] = json!("right_of_reply");
    long["subject"] = json!("Droit de réponse à l’article sur le budget municipal de l’année");
    app.post_json("newsroom", &long).await;
    let mut refs = Vec::new();
    for _ in 0..5 {
        refs.push(app.submit("newsroom").await.0);
    }
    let [old, assigned, resolved, spam, today] = <[String; 5]>::try_from(refs).unwrap();
    patch(&app, &editor, &assigned, json!({"assignee": "me"})).await;
    patch(&app, &editor, &resolved, json!({"status": "open"})).await;
    patch(&app, &editor, &resolved, json!({"status": "resolved"})).await;
    patch(&app, &editor, &spam, json!({"status": "spam"})).await;
    let month_ago = courrier::db::now() - chrono::Duration::days(30);
    app.with_conn(|c| {
        use courrier::db::schema::submissions::dsl::*;
        diesel::update(submissions.filter(reference.eq(&old)))
            .set((created_at.eq(month_ago), last_activity_at.eq(month_ago)))
            .execute(c)
            .unwrap();
    });
    let b = Browser::open(&app, js).await;
    b.sign_in(&editor).await;
    assert!(
        in_view(&b, "table.submissions th:last-child").await,
        "the deadline column"
    );
    b.screenshots("inbox-todo").await;

    let mut effort = Effort::default();
    effort
        .follow(&b, "nav.views a[href='/staff/?view=unassigned']")
        .await;
    assert_eq!(b.path().await, "/staff/?view=unassigned");
    let shown = rows(&b).await;
    assert_eq!(shown[0], today, "today's first");
    assert_eq!(shown.last(), Some(&old), "last month's last");
    for gone in [&assigned, &resolved, &spam] {
        assert!(!shown.contains(gone), "{gone}: {shown:?}");
    }
    assert_eq!((effort.clicks, effort.loads), (1, 1), "{effort:?}");
    println!("today's unassigned tips: {effort:?}");
    assert!(in_view(&b, "table.submissions th:last-child").await);
}

async fn everything_from_one_reader_in_one_click(js: Js) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(Backend::Sqlite, sink.port).await;
    let editor = app.staff("editor").await;
    let mut earlier = Vec::new();
    for subject in ["Premier courrier", "Deuxième courrier"] {
        let mut body = newsroom_body();
        body["subject"] = json!(subject);
        let resp: serde_json::Value = app.post_json("newsroom", &body).await.json().await.unwrap();
        earlier.push(resp["reference"].as_str().unwrap().to_owned());
    }
    let mut someone = newsroom_body();
    someone["email"] = json!("paul@example.fr");
    app.post_json("newsroom", &someone).await;
    let (latest, _) = app.submit("newsroom").await;
    let b = Browser::open(&app, js).await;
    b.sign_in(&editor).await;

    let mut effort = Effort::default();
    effort
        .follow(&b, &format!("a[href='/staff/submissions/{latest}']"))
        .await;
    let history = b
        .client
        .find(Locator::Css("#reader-history"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (r, subject) in earlier
        .iter()
        .zip(["Premier courrier", "Deuxième courrier"])
    {
        assert!(
            history.contains(r) && history.contains(subject),
            "{history}"
        );
    }
    assert_eq!(
        b.client
            .find_all(Locator::Css("#reader-history li"))
            .await
            .unwrap()
            .len(),
        2,
        "not another reader's"
    );
    assert_eq!((effort.clicks, effort.loads), (1, 1), "{effort:?}");
    println!("everything from one reader: {effort:?}");
    b.screenshots("submission-reader-history").await;
    // And one more opens any of them.
    effort
        .follow(
            &b,
            &format!(
                "#reader-history a[href='/staff/submissions/{}']",
                earlier[0]
            ),
        )
        .await;
    assert_eq!(b.path().await, format!("/staff/submissions/{}", earlier[0]));
}

crate::in_both_browsers!(
    todays_unassigned_tips_in_one_click,
    everything_from_one_reader_in_one_click,
);
