//! Hostile input: each gets a clear 4xx and leaves nothing stored; and no field can put a header
//! into any e-mail.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};

use crate::helpers::{
    free_port, newsroom_body, spawn_app, spawn_app_with, spawn_app_without_worker, Backend,
    MailSink, SinkMode, TestApp, TestDb,
};

async fn post_raw(app: &TestApp, content_type: &str, body: Vec<u8>) -> reqwest::Response {
    app.client
        .post(app.url("/v1/forms/newsroom"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn refused(app: &TestApp, resp: reqwest::Response, status: u16, what: &str) {
    assert_eq!(resp.status(), status, "{what}");
    assert_eq!(app.count("submissions"), 0, "{what}: nothing stored");
    assert_eq!(app.count("outbox"), 0, "{what}: no e-mail");
}

fn json_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

async fn invalid_utf8_and_nul_are_refused(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let mut bytes = json_bytes(&newsroom_body());
    let at = bytes.windows(4).position(|w| w == b"Zo\xc3\xa9").unwrap();
    bytes[at + 2] = 0xff;
    let r = post_raw(&app, "application/json", bytes).await;
    refused(&app, r, 400, "invalid UTF-8 in JSON").await;
    let r = post_raw(
        &app,
        "application/x-www-form-urlencoded",
        b"name=Zo%FF&email=a%40example.fr&topic=tip&message=m&consent=on".to_vec(),
    )
    .await;
    refused(&app, r, 400, "invalid UTF-8 in a form").await;
    let r = post_raw(
        &app,
        "application/x-www-form-urlencoded",
        b"name=Zo\xff&email=a%40example.fr&topic=tip&message=m&consent=on".to_vec(),
    )
    .await;
    refused(&app, r, 400, "raw invalid UTF-8 in a form").await;
    for field in ["name", "subject", "message", "email"] {
        let mut body = newsroom_body();
        body[field] = json!("avant\u{0}après");
        let r = app.post_json("newsroom", &body).await;
        assert_eq!(r.status(), 422, "NUL in {field}");
        let errors: Value = r.json().await.unwrap();
        assert!(errors["fields"][field].is_array(), "{field}: {errors}");
    }
    let mut raw = json_bytes(&newsroom_body());
    raw.insert(1, 0);
    let r = post_raw(&app, "application/json", raw).await;
    refused(&app, r, 400, "a raw NUL byte").await;
    let r = post_raw(
        &app,
        "application/x-www-form-urlencoded",
        b"name=A%00B&email=a%40example.fr&topic=tip&message=m&consent=on".to_vec(),
    )
    .await;
    refused(&app, r, 422, "NUL in a form field").await;
}

async fn long_lines_and_deep_nesting_are_refused(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let mut body = newsroom_body();
    body["message"] = json!("x".repeat(70_000));
    let r = app.post_json("newsroom", &body).await;
    refused(&app, r, 413, "a 70 kB line").await;
    body["message"] = json!("x".repeat(10_001));
    let r = app.post_json("newsroom", &body).await;
    refused(&app, r, 422, "a message over 10,000 characters").await;
    let r = app
        .client
        .post(app.url("/v1/forms/newsroom"))
        .header("x-padding", "p".repeat(100_000))
        .json(&newsroom_body())
        .send()
        .await;
    // Over-long headers are refused by the HTTP layer before any handler runs.
    match r {
        Ok(resp) => assert!(resp.status().is_client_error(), "{}", resp.status()),
        Err(e) => assert!(e.is_request() || e.is_connect() || e.is_body(), "{e}"),
    }
    assert_eq!(app.count("submissions"), 0);
    // The headers' bound is 16 KiB all together: just over it, a clear 431.
    let resp = app
        .client
        .post(app.url("/v1/forms/newsroom"))
        .header("x-padding", "p".repeat(17 * 1024))
        .json(&newsroom_body())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 431);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "headers_too_large");
    assert_eq!(app.count("submissions"), 0);
    let deep = format!(
        r#"{{"name": {}1{}, "email": "a@example.fr", "topic": "tip", "message": "m", "consent": true}}"#,
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    let r = post_raw(&app, "application/json", deep.into_bytes()).await;
    refused(&app, r, 400, "deeply nested JSON").await;
    let deep_object = format!("{}{}", r#"{"a":"#.repeat(3_000), "}".repeat(3_000));
    let r = post_raw(&app, "application/json", deep_object.into_bytes()).await;
    refused(&app, r, 400, "deeply nested objects").await;
}

async fn an_endless_body_is_cut_off_by_size_or_time(b: Backend) {
    let app = spawn_app_with(Arc::new(TestDb::new(b)), free_port(), |s| {
        s.http.body_timeout_ms = 500;
    })
    .await;
    // A chunked body that never ends: the size limit stops it.
    let endless = futures_util::stream::repeat_with(|| {
        Ok::<_, std::io::Error>(bytes::Bytes::from_static(&[b' '; 4096]))
    });
    let r = app
        .client
        .post(app.url("/v1/forms/newsroom"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(endless))
        .send()
        .await;
    match r {
        Ok(resp) => assert_eq!(resp.status(), 413),
        // The server may answer and close while the client is still sending.
        Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
    }
    // A chunked body that stalls: the body timeout stops it.
    let stalled = futures_util::stream::once(async {
        Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"{\"name\": "))
    })
    .chain(futures_util::stream::pending());
    let resp = app
        .client
        .post(app.url("/v1/forms/newsroom"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stalled))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 408);
    assert_eq!(app.count("submissions"), 0);
}

/// The header names of a raw message, in order.
fn header_names(raw: &str) -> Vec<String> {
    let head = raw.split("\r\n\r\n").next().unwrap();
    head.split("\r\n")
        .filter(|l| !l.starts_with([' ', '\t']))
        .map(|l| l.split(':').next().unwrap().to_ascii_lowercase())
        .collect()
}

async fn no_field_can_put_a_header_into_an_email(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app_without_worker(b, sink.port).await;
    let sneaky = [
        "=?UTF-8?Q?=0A?=",
        "=?UTF-8?Q?Z=0D=0ABcc:_victim@example.org?=",
        "=?UTF-8?B?DQpCY2M6IHZpY3RpbUBleGFtcGxlLm9yZw==?=",
        "Zoé\"\r\nBcc: victim@example.org",
        "Zoé <victim@example.org>, Bcc: victim@example.org",
    ];
    let mut stored = 0;
    for text in sneaky {
        let mut body = newsroom_body();
        body["name"] = json!(text);
        body["subject"] = json!(text);
        body["article_title"] = json!(text);
        body["message"] = json!(format!("{text}\r\nBcc: victim@example.org\r\n\r\nfin"));
        let status = app.post_json("newsroom", &body).await.status().as_u16();
        if text.contains('\r') {
            assert_eq!(status, 422, "line breaks are refused in one-line fields");
        } else {
            assert_eq!(status, 201, "{text}");
            stored += 1;
        }
    }
    // Staff replies carry a subject of their choosing too.
    let editor = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    let reply = app
        .post_as(&editor, &format!("/v1/submissions/{reference}/replies"))
        .json(&json!({"body": "Merci.\r\nBcc: victim@example.org", "subject": sneaky[1]}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 201);
    let expected = (stored + 1) * 2 + 1;
    app.dispatch_all_pending().await;
    let mails = sink.accepted();
    assert_eq!(mails.len(), expected);
    let allowed: BTreeSet<&str> = [
        "from",
        "to",
        "reply-to",
        "auto-submitted",
        "list-unsubscribe",
        "list-unsubscribe-post",
        "subject",
        "message-id",
        "in-reply-to",
        "references",
        "date",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    ]
    .into();
    for mail in &mails {
        let raw = mail.raw_headers();
        let names = header_names(&String::from_utf8_lossy(&mail.raw));
        let unique: BTreeSet<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(unique.len(), names.len(), "each header once:\n{raw}");
        assert!(unique.is_subset(&allowed), "only our headers:\n{raw}");
        let parsed = mail.parsed();
        for header in &parsed.headers {
            let value = header.get_value();
            assert!(
                !value.contains('\n') && !value.contains('\r'),
                "a decoded header holds a line break:\n{raw}"
            );
        }
        let rcpt = mail.to.join(",");
        assert!(!rcpt.contains("victim"), "envelope: {rcpt}");
    }
}

crate::on_both_backends!(
    invalid_utf8_and_nul_are_refused,
    long_lines_and_deep_nesting_are_refused,
    an_endless_body_is_cut_off_by_size_or_time,
    no_field_can_put_a_header_into_an_email,
);
