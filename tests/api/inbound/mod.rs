//! Two-way mail: signed reply addresses on what the reader receives, and readers' mail coming
//! back in by the pipe (`mail ingest`), raw MIME over HTTP and IMAP.

mod dedupe;
mod edges;
mod erased;
mod hostile;
mod imap;
mod imap_poller;
mod imap_tls;
mod noise;
mod replies;
mod reply_address;

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;

use base64::Engine;
use courrier::config::Settings;
use secrecy::SecretString;

use crate::helpers::{spawn_app_with, Backend, ReceivedMail, TestApp, TestDb};

pub const REPLY_KEY: &str = "a reply key of the test deployment";
pub const INBOUND_TOKEN: &str = "inbound-token-of-the-tests-0123456789";
pub const EDITORIAL: &str = "Rédaction <redaction@journal.example>";
pub const COMMERCIAL: &str = "Service commercial <commercial@journal.example>";

/// Settings with mail coming in: queue addresses, the reply key and the route's token.
pub fn inbound_settings(s: &mut Settings) {
    s.queues.get_mut("editorial").unwrap().address = Some(EDITORIAL.into());
    s.queues.get_mut("commercial").unwrap().address = Some(COMMERCIAL.into());
    s.mail.reply_key = Some(SecretString::from(REPLY_KEY.to_owned()));
    s.inbound.token = Some(SecretString::from(INBOUND_TOKEN.to_owned()));
}

/// The app with mail coming in, sending to `smtp_port`.
pub async fn spawn_inbound_app(b: Backend, smtp_port: u16) -> TestApp {
    spawn_app_with(Arc::new(TestDb::new(b)), smtp_port, inbound_settings).await
}

/// The app with mail coming in and more settings changed.
pub async fn spawn_inbound_app_with(
    b: Backend,
    smtp_port: u16,
    tweak: impl FnOnce(&mut Settings),
) -> TestApp {
    spawn_app_with(Arc::new(TestDb::new(b)), smtp_port, |s| {
        inbound_settings(s);
        tweak(s);
    })
    .await
}

/// Posts a raw message as an inbound-mail service does.
pub async fn post_mime(app: &TestApp, raw: &[u8]) -> reqwest::Response {
    app.client
        .post(app.url("/v1/inbound/mime"))
        .bearer_auth(INBOUND_TOKEN)
        .header("Content-Type", "message/rfc822")
        .body(raw.to_vec())
        .send()
        .await
        .unwrap()
}

/// The real binary's `mail ingest`, as Postfix's pipe runs it, against the app's database:
/// its exit status and its output.
pub fn ingest(db_url: &str, raw: &[u8], extra: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_courrier"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("COURRIER_ENV", "test")
        .env("COURRIER__LOG__FILTER", "warn")
        .env("COURRIER__DATABASE__URL", db_url)
        .env("COURRIER__QUEUES__EDITORIAL__ADDRESS", EDITORIAL)
        .env("COURRIER__QUEUES__COMMERCIAL__ADDRESS", COMMERCIAL)
        .env("COURRIER__MAIL__REPLY_KEY", REPLY_KEY)
        .env("COURRIER__INBOUND__TOKEN", INBOUND_TOKEN)
        .args(["mail", "ingest"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    // A message over the limit may be refused before it is all read.
    let _ = child.stdin.take().unwrap().write_all(raw);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A header value in RFC 2047 words, as mail clients write non-ASCII subjects.
pub fn encoded(text: &str) -> String {
    format!(
        "=?UTF-8?B?{}?=",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

/// A plain-text message with the given headers and body, CRLF line ends.
pub fn message(headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut raw = String::new();
    for (k, v) in headers {
        raw.push_str(&format!("{k}: {v}\r\n"));
    }
    raw.push_str("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n");
    raw.push_str("Content-Transfer-Encoding: 8bit\r\n\r\n");
    raw.push_str(&body.replace('\n', "\r\n"));
    raw.into_bytes()
}

/// A new Message-ID in the reader's domain.
pub fn reader_message_id() -> String {
    format!("<{}@mail.example.fr>", uuid::Uuid::new_v4().simple())
}

/// The reader's answer to an e-mail received at the SMTP listener, written as Gmail writes
/// it: to the Reply-To, threaded, the new text on top and the e-mail quoted under "Le … a
/// écrit :".
pub fn answer(received: &ReceivedMail, text: &str) -> Vec<u8> {
    let reply_to = received
        .header("Reply-To")
        .or_else(|| received.header("From"))
        .unwrap();
    let to = format!("<{}>", address_of(&reply_to));
    let parent = received.header("Message-ID").unwrap();
    let subject = format!("Re: {}", received.header("Subject").unwrap());
    let quoted: String = received
        .body("text/plain")
        .lines()
        .map(|l| format!("> {l}\n"))
        .collect();
    let body = format!(
        "{text}\n\nLe mar. 1 déc. 2026 à 10:02, Rédaction <redaction@journal.example> a écrit :\n\n{quoted}"
    );
    let id = reader_message_id();
    message(
        &[
            (
                "From",
                &format!("{} <zoe.martin@example.fr>", encoded("Zoé Martin")),
            ),
            ("To", &to),
            ("Subject", &encoded(&subject)),
            ("Date", "Tue, 1 Dec 2026 10:05:00 +0100"),
            ("Message-ID", &id),
            ("In-Reply-To", &parent),
            ("References", &parent),
        ],
        &body,
    )
}

/// The submission's record as an editor sees it.
pub async fn record(app: &TestApp, id: &str) -> serde_json::Value {
    use crate::helpers::Answer;
    let editor = app.staff("editor").await;
    app.get_as(&editor, &format!("/v1/submissions/{id}"))
        .json_ok()
        .await
}

/// The address inside `Name <address>`.
pub fn address_of(mailbox: &str) -> String {
    mailbox
        .rsplit_once('<')
        .map_or(mailbox, |(_, a)| a.trim_end_matches('>'))
        .trim()
        .to_owned()
}
