//! Mail built to hurt (issue 21): HTML that was quadratic to read, and the web server that must
//! answer while it is read; a NUL in a message's text, and a message the database refuses, which
//! must stop none of the three ways in.

use std::time::Duration;

use serde_json::Value;

use base64::Engine;

use super::imap::Dovecot;
use super::imap_poller::instance;
use super::{
    ingest, message, post_mime, reader_message_id, spawn_inbound_app, spawn_inbound_app_with,
    INBOUND_TOKEN,
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

/// A message to the editorial queue whose body decodes to `hello`, NUL, `world`, in the given
/// transfer encoding (`quoted-printable` or `base64`).
pub fn with_nul(encoding: &str) -> Vec<u8> {
    let body = match encoding {
        "base64" => base64::engine::general_purpose::STANDARD.encode("hello\0world\r\n"),
        _ => "hello=00world".to_owned(),
    };
    format!(
        "From: Ana <ana@example.org>\r\nTo: <redaction@journal.example>\r\n\
         Subject: =?UTF-8?Q?nul=00ici?=\r\nMessage-ID: {}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n\
         {body}\r\n",
        reader_message_id()
    )
    .into_bytes()
}

/// A message from an address so long (and so random) that PostgreSQL cannot index it: a
/// failure that no retry cures.
fn from_an_unindexable_sender() -> Vec<u8> {
    let local: String = (0..400)
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect();
    message(
        &[
            ("From", &format!("<{local}@example.org>")),
            ("To", "<redaction@journal.example>"),
            ("Subject", "Long"),
            ("Message-ID", &reader_message_id()),
        ],
        "Bonjour.",
    )
}

/// The next reader's message, which must not wait behind the one before it.
fn next_one() -> Vec<u8> {
    message(
        &[
            ("From", "Jean Lecteur <jean@example.org>"),
            ("To", "<redaction@journal.example>"),
            ("Subject", "La suite"),
            ("Message-ID", &reader_message_id()),
        ],
        "Bonjour, voici la suite.",
    )
}

/// The stored rows' text columns, and the reasons of the unmatched ones.
fn texts(app: &crate::helpers::TestApp) -> Vec<String> {
    use courrier::db::schema::inbound_mail::dsl::*;
    use diesel::prelude::*;
    app.with_conn(|c| {
        inbound_mail
            .select((subject, full_text, body, sender))
            .load::<(String, String, String, String)>(c)
            .unwrap()
            .into_iter()
            .flat_map(|(a, b, c, d)| [a, b, c, d])
            .collect()
    })
}

async fn a_nul_in_a_message_stops_neither_the_route_nor_the_pipe(b: Backend) {
    let app = spawn_inbound_app(b, free_port()).await;
    for encoding in ["quoted-printable", "base64"] {
        let resp = post_mime(&app, &with_nul(encoding)).await;
        assert_eq!(
            resp.status(),
            202,
            "{encoding}: {}",
            resp.text().await.unwrap()
        );
    }
    assert_eq!(post_mime(&app, &next_one()).await.status(), 202);
    assert_eq!(app.count("inbound_mail"), 3);
    let (code, out) = ingest(&app.db.url, &with_nul("quoted-printable"), &[]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = ingest(&app.db.url, &next_one(), &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(app.count("inbound_mail"), 5);
    // Each NUL became U+FFFD in the text; the raw message keeps its bytes.
    let texts = texts(&app);
    assert!(texts.iter().all(|t| !t.contains('\0')), "{texts:?}");
    assert_eq!(
        texts
            .iter()
            .filter(|t| t.trim() == "hello\u{fffd}world")
            .count(),
        6,
        "full text and body of three messages: {texts:?}"
    );
    let editor = app.staff("editor").await;
    let page = app
        .get_as(&editor, "/v1/submissions?channel=email")
        .json_ok()
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 5, "{page}");
}

async fn a_message_no_retry_can_store_is_parked_and_the_next_one_passes(b: Backend) {
    let app = spawn_inbound_app(b, free_port()).await;
    let resp = post_mime(&app, &from_an_unindexable_sender()).await;
    assert_eq!(resp.status(), 202, "{}", resp.text().await.unwrap());
    assert_eq!(post_mime(&app, &next_one()).await.status(), 202);
    let (code, out) = ingest(&app.db.url, &from_an_unindexable_sender(), &[]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = ingest(&app.db.url, &next_one(), &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(app.count("inbound_mail"), 4);
    // Both are kept for admins; on PostgreSQL, with the error that parked them.
    let admin = app.staff("admin").await;
    let list = app.get_as(&admin, "/v1/inbound/unmatched").json_ok().await;
    let reasons: Vec<&str> = list["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["reason"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(reasons.len(), 2, "{list}");
    if b != Backend::Sqlite {
        assert!(
            reasons.iter().all(|r| r.starts_with("failed: ")),
            "{reasons:?}"
        );
    }
}

async fn the_imap_poller_takes_in_a_nul_message_a_parked_one_and_the_next(b: Backend) {
    let dovecot = Dovecot::start();
    let app = spawn_inbound_app(b, free_port()).await;
    let (state, _) = instance(&app, &dovecot.url(), |_| {}).await;
    dovecot.deliver(&with_nul("quoted-printable"));
    dovecot.deliver(&with_nul("base64"));
    dovecot.deliver(&from_an_unindexable_sender());
    dovecot.deliver(&next_one());
    let pass = courrier::desk::inbound::imap::poll_once(&state, "me")
        .await
        .unwrap();
    assert_eq!((pass.marked, pass.deferred), (4, 0), "{pass:?}");
    assert_eq!(app.count("inbound_mail"), 4);
    assert_eq!(dovecot.count("INBOX"), 0);
    assert_eq!(dovecot.count("Processed"), 4);
}

crate::on_both_backends!(
    a_nul_in_a_message_stops_neither_the_route_nor_the_pipe,
    a_message_no_retry_can_store_is_parked_and_the_next_one_passes,
    the_imap_poller_takes_in_a_nul_message_a_parked_one_and_the_next,
    the_web_server_answers_while_big_html_mail_is_read,
    html_past_its_time_budget_is_stored_as_not_converted_with_its_raw_message,
);
