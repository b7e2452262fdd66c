//! Issue 22's daily loop in a real browser: "open, assign to me, reply, close" from the inbox,
//! with JavaScript off and on. The test counts the clicks (a choice in a select counts as one)
//! and the page loads (each navigation it waits for); the server counts the requests they made
//! (its `courrier_http_requests_total` under `/staff`: documents and form posts).

use std::sync::Arc;

use secrecy::SecretString;

use super::{Browser, Js};
use crate::console::api_detail;
use crate::helpers::{spawn_app_with, Backend, MailSink, SinkMode, TestApp, TestDb};

const TOKEN: &str = "a-scrape-token-of-the-daily-loop";

/// The console's requests so far: each to a `/staff` route (documents and form posts), not
/// the scripts, styles or the saved replies' in-page fetches.
async fn staff_requests(app: &TestApp) -> u64 {
    let text = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| l.starts_with("courrier_http_requests_total{"))
        .filter(|l| l.contains("route=\"/staff") && !l.contains("saved-replies"))
        .filter_map(|l| l.rsplit_once(' '))
        .map(|(_, n)| n.parse::<f64>().unwrap() as u64)
        .sum()
}

/// Clicks and page loads, counted as the task goes.
struct Tally {
    clicks: u32,
    loads: u32,
}

async fn open_assign_reply_close(js: Js) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app_with(Arc::new(TestDb::new(Backend::Sqlite)), sink.port, |s| {
        s.metrics.token = Some(SecretString::from(TOKEN));
    })
    .await;
    let editor = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    let b = Browser::open(&app, js).await;
    b.sign_in(&editor).await;
    assert_eq!(b.path().await, "/staff/");
    let before = staff_requests(&app).await;
    let mut t = Tally {
        clicks: 0,
        loads: 0,
    };

    // Open: the row's link.
    b.submit(&format!("a[href='/staff/submissions/{reference}']"))
        .await;
    t.clicks += 1;
    t.loads += 1;
    // The composer is the first thing on the page: assign to me, write, close, send.
    b.choose("#reply-assignee", "me").await;
    t.clicks += 1;
    b.fill("#reply-body", "Merci, c'est corrigé.").await;
    b.choose("#reply-status", "resolved").await;
    t.clicks += 1;
    match js {
        Js::Off => {
            b.submit("#send-reply").await;
            t.clicks += 1;
            t.loads += 1;
        }
        Js::On => {
            // Ctrl+Enter in the reply box sends it.
            let old = b
                .client
                .find(fantoccini::Locator::Css("html"))
                .await
                .unwrap();
            let body = b
                .client
                .find(fantoccini::Locator::Css("#reply-body"))
                .await
                .unwrap();
            body.send_keys("\u{E009}\u{E007}").await.unwrap();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            while old.tag_name().await.is_ok() {
                assert!(
                    std::time::Instant::now() < deadline,
                    "Ctrl+Enter sent nothing"
                );
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            t.loads += 1;
        }
    }
    let path = b.path().await;
    assert_eq!(
        path,
        format!("/staff/submissions/{reference}?done=replies"),
        "{}",
        b.text().await
    );
    let requests = staff_requests(&app).await - before;
    let d = api_detail(&app, &editor, &reference).await;
    assert_eq!(d["status"], "resolved");
    assert_eq!(d["assignee_id"], editor.id.as_str());
    assert_eq!(d["messages"][0]["body"], "Merci, c'est corrigé.");
    b.screenshots("daily-loop-done").await;
    eprintln!(
        "open, assign to me, reply, close ({js:?}): {} clicks, {} page loads, {requests} requests",
        t.clicks, t.loads
    );
    // Open (one GET), then one post answered by a redirect to the page (POST, GET).
    assert_eq!(t.loads, 2);
    assert_eq!(requests, 3, "requests under /staff");
    let expected_clicks = if js == Js::On { 3 } else { 4 };
    assert_eq!(t.clicks, expected_clicks);
}

crate::in_both_browsers!(open_assign_reply_close);
