//! The ways in refuse what they must (tokens, media type, size, garbage) with the right answer
//! or exit status, survive a database that is down, and never let inbound text reach a header;
//! mail to a queue's address becomes a submission; the rest waits in the unmatched list.

use diesel::connection::SimpleConnection;
use diesel::Connection;
use serde_json::Value;

use super::{
    answer, encoded, ingest, message, post_mime, reader_message_id, spawn_inbound_app,
    spawn_inbound_app_with, INBOUND_TOKEN,
};
use crate::helpers::{free_port, spawn_app, Answer, Backend, MailSink, SinkMode};

fn plain(to: &str) -> Vec<u8> {
    message(
        &[
            ("From", "Jean Lecteur <jean@example.org>"),
            ("To", to),
            ("Subject", "Une info sur la mairie"),
            ("Content-Language", "en-GB"),
            ("Message-ID", &reader_message_id()),
        ],
        "Bonjour, la mairie ferme le marché.\n\n-- \nJean",
    )
}

async fn the_route_answers_each_refusal_as_documented(b: Backend) {
    let app = spawn_inbound_app_with(b, free_port(), |s| s.inbound.max_bytes = 2048).await;
    let url = app.url("/v1/inbound/mime");
    let post = |token: Option<&str>, ct: &str, body: Vec<u8>| {
        let mut r = app.client.post(&url).header("Content-Type", ct).body(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r
    };
    let ok = plain("<redaction@journal.example>");
    assert_eq!(
        post(None, "message/rfc822", ok.clone()).status_code().await,
        401
    );
    assert_eq!(
        post(
            Some("wrong-token-wrong-token"),
            "message/rfc822",
            ok.clone()
        )
        .status_code()
        .await,
        401
    );
    assert_eq!(
        post(Some(INBOUND_TOKEN), "text/plain", ok.clone())
            .status_code()
            .await,
        415
    );
    let big = message(&[("From", "a@example.org")], &"x".repeat(4096));
    assert_eq!(
        post(Some(INBOUND_TOKEN), "message/rfc822", big.clone())
            .status_code()
            .await,
        413
    );
    let garbage = b"this is not an e-mail at all, just words\r\n".to_vec();
    let resp = post(Some(INBOUND_TOKEN), "message/rfc822", garbage.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "malformed_request"
    );
    assert_eq!(
        post(Some(INBOUND_TOKEN), "message/rfc822", Vec::new())
            .status_code()
            .await,
        400
    );
    // Broken MIME with headers is still a message: stored, never a crash.
    let broken = b"From: x@example.org\r\nTo: <redaction@journal.example>\r\nMessage-ID: <b@x>\r\n\
        Content-Type: multipart/mixed; boundary=\"nope\"\r\n\r\n--nope\r\nContent-Type: text/plain\r\n\
        Content-Transfer-Encoding: base64\r\n\r\n%%%not base64%%%\r\n"
        .to_vec();
    assert_eq!(
        post(Some(INBOUND_TOKEN), "message/rfc822", broken)
            .status_code()
            .await,
        202
    );
    assert_eq!(app.count("inbound_mail"), 1);

    // The pipe: the same refusals are exit 65, and nothing is stored.
    let limit = [("COURRIER__INBOUND__MAX_BYTES", "2048")];
    assert_eq!(ingest(&app.db.url, &big, &limit).0, 65);
    assert_eq!(ingest(&app.db.url, &garbage, &limit).0, 65);
    assert_eq!(ingest(&app.db.url, b"", &limit).0, 65);
    assert_eq!(app.count("inbound_mail"), 1);

    // Without inbound.token, the route does not exist.
    let plain_app = spawn_app(b, free_port()).await;
    let resp = plain_app
        .client
        .post(plain_app.url("/v1/inbound/mime"))
        .bearer_auth(INBOUND_TOKEN)
        .header("Content-Type", "message/rfc822")
        .body(ok)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
}

async fn a_database_that_is_down_defers_the_message(b: Backend) {
    let app = spawn_inbound_app(b, free_port()).await;
    let raw = plain("<redaction@journal.example>");
    // The pipe: exit 75, so the MTA keeps the message and tries again.
    let (code, out) = ingest("postgres://postgres@127.0.0.1:1/nowhere", &raw, &[]);
    assert_eq!(code, 75, "{out}");
    match b {
        Backend::Sqlite => {
            let path = app.db.url.trim_start_matches("sqlite://").to_owned();
            let mut other = diesel::SqliteConnection::establish(&path).unwrap();
            other.batch_execute("BEGIN EXCLUSIVE").unwrap();
            let resp = post_mime(&app, &raw).await;
            assert_eq!(resp.status(), 503);
            assert!(resp.headers().contains_key("retry-after"));
            other.batch_execute("ROLLBACK").unwrap();
        }
        Backend::Postgres => {
            let (mut admin, name) = app.db.pg_admin().unwrap();
            admin
                .batch_execute(&format!(
                    "ALTER DATABASE {name} ALLOW_CONNECTIONS false; \
                     SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
                ))
                .unwrap();
            let resp = post_mime(&app, &raw).await;
            assert_eq!(resp.status(), 503);
            assert!(resp.headers().contains_key("retry-after"));
            let (code, out) = ingest(&app.db.url, &raw, &[]);
            assert_eq!(code, 75, "{out}");
            admin
                .batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
                .unwrap();
        }
    }
    // Back up: the retry is stored once.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let status = post_mime(&app, &raw).await.status();
        if status == 202 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still {status}");
    }
    assert_eq!(app.count("inbound_mail"), 1);
    assert_eq!(app.count("submissions"), 1);
}

async fn mail_to_a_queue_becomes_a_submission_and_the_rest_waits_for_admins(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app(b, sink.port).await;
    let r: Value = post_mime(&app, &plain("Rédaction <redaction@journal.example>"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["outcome"], "new_submission", "{r}");
    let reference = r["reference"].as_str().unwrap().to_owned();
    let editor = app.staff("editor").await;
    let page = app
        .get_as(&editor, "/v1/submissions?channel=email")
        .json_ok()
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["reference"], reference.as_str());
    let web = app
        .get_as(&editor, "/v1/submissions?channel=web")
        .json_ok()
        .await;
    assert!(web["items"].as_array().unwrap().is_empty());
    let s = app
        .get_as(&editor, &format!("/v1/submissions/{reference}"))
        .json_ok()
        .await;
    assert_eq!(
        (
            s["channel"].as_str(),
            s["form"].as_str(),
            s["topic"].as_str(),
            s["locale"].as_str()
        ),
        (Some("email"), Some("newsroom"), Some("other"), Some("en"))
    );
    assert_eq!(s["consent"]["given"], false);
    assert_eq!(s["consent"]["version"], "");
    assert_eq!(s["name"], "Jean Lecteur");
    assert_eq!(s["subject"], "Une info sur la mairie");
    // The team is told; the reader is not acknowledged (inbound.acknowledge is off).
    let mails = sink.wait_for(1).await;
    assert_eq!(mails[0].to, ["redaction@localhost"]);
    assert_eq!(app.count("outbox"), 1);

    // To no queue address: kept for admins only.
    let r: Value = post_mime(&app, &plain("<quelquun@ailleurs.example>"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (r["outcome"].as_str(), r["reason"].as_str()),
        (Some("unmatched"), Some("no_queue_address"))
    );
    let admin = app.staff("admin").await;
    let list = app.get_as(&admin, "/v1/inbound/unmatched").json_ok().await;
    let messages = list["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["from"], "jean@example.org");
    assert_eq!(messages[0]["reason"], "no_queue_address");
    assert_eq!(
        app.get_as(&editor, "/v1/inbound/unmatched")
            .status_code()
            .await,
        403
    );
    // `limit` is read from the query, within its documented bounds.
    for bad in ["0", "201", "-1", "many"] {
        assert_eq!(
            app.get_as(&admin, &format!("/v1/inbound/unmatched?limit={bad}"))
                .status_code()
                .await,
            400,
            "limit={bad}"
        );
    }
    for good in ["1", "200"] {
        let list = app
            .get_as(&admin, &format!("/v1/inbound/unmatched?limit={good}"))
            .json_ok()
            .await;
        assert_eq!(
            list["messages"].as_array().unwrap().len(),
            1,
            "limit={good}"
        );
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_courrier"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("COURRIER_ENV", "test")
        .env("COURRIER__DATABASE__URL", &app.db.url)
        .args(["mail", "unmatched"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("no_queue_address") && text.contains("1 unmatched"),
        "{text}"
    );
}

async fn an_acknowledgement_for_mailed_submissions_echoes_nothing(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app_with(b, sink.port, |s| s.inbound.acknowledge = true).await;
    let r: Value = post_mime(&app, &plain("<commercial@journal.example>"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["outcome"], "new_submission");
    let mails = sink.wait_for(2).await;
    let ack = mails.iter().find(|m| m.to == ["jean@example.org"]).unwrap();
    assert_eq!(
        ack.header("Auto-Submitted").as_deref(),
        Some("auto-replied")
    );
    assert!(ack.header("Reply-To").unwrap().contains("commercial+"));
    let text = format!(
        "{}{}",
        ack.header("Subject").unwrap(),
        ack.body("text/plain")
    );
    assert!(
        !text.contains("mairie") && !text.contains("marché"),
        "{text}"
    );
    let sales = mails
        .iter()
        .find(|m| m.to == ["commercial@localhost"])
        .unwrap();
    assert!(sales.body("text/plain").contains("marché"));
}

async fn an_inbound_subject_cannot_inject_a_header_into_the_notice(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app(b, sink.port).await;
    let (_, _) = app.submit("newsroom").await;
    let mails = sink.wait_for(2).await;
    let ack = mails
        .iter()
        .find(|m| m.to == ["zoe.martin@example.fr"])
        .unwrap();
    let mut reply = String::from_utf8(answer(ack, "Voir ci-dessous")).unwrap();
    let subject_line = reply
        .lines()
        .find(|l| l.starts_with("Subject:"))
        .unwrap()
        .to_owned();
    let evil = format!(
        "Subject: {} {}",
        encoded("Re: hi\r\nBcc: victim@example.net\r\nX-Evil: 1"),
        "=?UTF-8?Q?=0D=0ABcc:_other@example.net?="
    );
    reply = reply.replacen(&subject_line, &evil, 1);
    assert_eq!(post_mime(&app, reply.as_bytes()).await.status(), 202);
    let mails = sink.wait_for(3).await;
    let notice = &mails[2];
    assert_eq!(notice.to, ["redaction@localhost"]);
    let headers = notice.raw_headers();
    // No header line of its own: the words stay inside the (folded) subject.
    assert!(
        headers.lines().all(|l| {
            let l = l.to_ascii_lowercase();
            !l.starts_with("bcc") && !l.starts_with("x-evil")
        }),
        "{headers}"
    );
    assert!(notice.parsed().headers.iter().all(|h| h.get_key() != "Bcc"));
    let subject = notice.header("Subject").unwrap();
    assert!(
        !subject.contains('\n') && !subject.contains('\r'),
        "{subject}"
    );
    assert!(
        subject.contains("Bcc: victim@example.net"),
        "shown as text: {subject}"
    );
}

async fn html_only_mail_is_kept_as_text(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app(b, sink.port).await;
    let raw = "From: Ana <ana@example.org>\r\nTo: <redaction@journal.example>\r\n\
        Subject: Photo\r\nMessage-ID: <html1@example.org>\r\nMIME-Version: 1.0\r\n\
        Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\n\
        Content-Type: text/html; charset=utf-8\r\n\r\n\
        <html><body><p>Voici&nbsp;la <b>photo</b>.</p><script>alert(1)</script></body></html>\r\n\
        --m\r\nContent-Type: image/jpeg; name=\"photo.jpg\"\r\n\
        Content-Disposition: attachment; filename=\"photo.jpg\"\r\n\
        Content-Transfer-Encoding: base64\r\n\r\n/9j/4AAQSkZJRgABAQ==\r\n--m--\r\n";
    let r: Value = post_mime(&app, raw.as_bytes()).await.json().await.unwrap();
    let editor = app.staff("editor").await;
    let s = app
        .get_as(
            &editor,
            &format!("/v1/submissions/{}", r["reference"].as_str().unwrap()),
        )
        .json_ok()
        .await;
    assert_eq!(s["message"], "Voici la photo.");
}

crate::on_both_backends!(
    the_route_answers_each_refusal_as_documented,
    a_database_that_is_down_defers_the_message,
    mail_to_a_queue_becomes_a_submission_and_the_rest_waits_for_admins,
    an_acknowledgement_for_mailed_submissions_echoes_nothing,
    an_inbound_subject_cannot_inject_a_header_into_the_notice,
    html_only_mail_is_kept_as_text,
);
