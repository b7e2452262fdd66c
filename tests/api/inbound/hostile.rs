//! Mail built to hurt (issue 21): HTML that was quadratic to read, and the web server that must
//! answer while it is read.

use std::time::Duration;

use serde_json::Value;

use super::{
    post_mime, reader_message_id, spawn_inbound_app, spawn_inbound_app_with, INBOUND_TOKEN,
};
use crate::helpers::{free_port, Answer, Backend};

/// An HTML-only message (no text part) with the given body.
pub fn html_only(to: &str, html: &str) -> Vec<u8> {
    format!(
        "From: Ana <ana@example.org>\r\nTo: {to}\r\nSubject: Page\r\nMessage-ID: {}\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n",
        reader_message_id()
    )
    .into_bytes()
}

async fn the_web_server_answers_while_big_html_mail_is_read(b: Backend) {
    let app = spawn_inbound_app(b, free_port()).await;
    // As many costly messages as the test server has workers (two): `&` with no `;` was
    // quadratic, and read on the worker that took the post.
    let html = "&".repeat(800 * 1024);
    let posts: Vec<_> = (0..2)
        .map(|_| {
            let post = app
                .client
                .post(app.url("/v1/inbound/mime"))
                .bearer_auth(INBOUND_TOKEN)
                .header("Content-Type", "message/rfc822")
                .body(html_only("<redaction@journal.example>", &html));
            tokio::spawn(async move { post.send().await.map(|r| r.status().as_u16()) })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The bound is only how long the test waits: the answer must come, not come fast.
    let live = app
        .client
        .get(app.url("/health/live"))
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    assert_eq!(
        live.map(|r| r.status().as_u16()).map_err(|e| e.to_string()),
        Ok(200),
        "/health/live while the messages are read"
    );
    for post in posts {
        assert_eq!(post.await.unwrap().unwrap(), 202);
    }
    assert_eq!(app.count("inbound_mail"), 2);
}

async fn html_past_its_time_budget_is_stored_as_not_converted_with_its_raw_message(b: Backend) {
    let app = spawn_inbound_app_with(b, free_port(), |s| s.inbound.html_budget_ms = 0).await;
    let raw = html_only(
        "<redaction@journal.example>",
        "<p>Voici <b>la</b> suite.</p>",
    );
    let r: Value = post_mime(&app, &raw).await.json().await.unwrap();
    assert_eq!(r["outcome"], "new_submission", "{r}");
    let reference = r["reference"].as_str().unwrap();
    let editor = app.staff("editor").await;
    let s = app
        .get_as(&editor, &format!("/v1/submissions/{reference}"))
        .json_ok()
        .await;
    assert_eq!(s["message"], courrier::mail::inbound::NOT_CONVERTED);
    let kept = app
        .get_as(
            &editor,
            &format!(
                "/v1/submissions/{reference}/messages/{}/raw",
                r["id"].as_str().unwrap()
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(kept.status(), 200);
    assert_eq!(kept.bytes().await.unwrap().to_vec(), raw);
}

crate::on_both_backends!(
    the_web_server_answers_while_big_html_mail_is_read,
    html_past_its_time_budget_is_stored_as_not_converted_with_its_raw_message,
);
