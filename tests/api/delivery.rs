//! E-mail, read back as raw messages at a real SMTP listener: headers, encoding, escaping,
//! retries, permanent failures, lease rescue and several workers.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;
use serde_json::{json, Value};

use crate::helpers::{
    eventually, free_port, newsroom_body, sales_body, spawn_app, spawn_app_with, Backend, MailSink,
    SinkMode, TestDb,
};

async fn team_and_reader_get_well_formed_messages(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let resp: Value = app
        .post_json("newsroom", &newsroom_body())
        .await
        .json()
        .await
        .unwrap();
    let reference = resp["reference"].as_str().unwrap();
    let mails = sink.wait_for(2).await;
    let team = mails
        .iter()
        .find(|m| m.to == ["redaction@localhost"])
        .unwrap();
    let ack = mails
        .iter()
        .find(|m| m.to == ["zoe.martin@example.fr"])
        .unwrap();

    assert_eq!(team.from, "courrier@localhost");
    let subject = team.header("Subject").unwrap();
    assert!(
        subject.contains(reference) && subject.contains("Information / tuyau"),
        "{subject}"
    );
    assert!(
        subject.contains("Fuite d’eau à la médiathèque"),
        "decoded UTF-8 subject: {subject}"
    );
    let headers = team.raw_headers();
    assert!(
        headers.is_ascii() && headers.contains("=?utf-8?b?"),
        "non-ASCII is encoded: {headers}"
    );
    let reply_to = team.header("Reply-To").unwrap();
    assert!(
        reply_to.contains("<zoe.martin@example.fr>") && reply_to.contains("Zoé Martin"),
        "{reply_to}"
    );
    let message_id = team.header("Message-ID").unwrap();
    assert!(
        message_id.starts_with('<') && message_id.ends_with("@localhost>"),
        "{message_id}"
    );
    let text = team.body("text/plain");
    for needle in [
        "Zoé Martin",
        "zoe.martin@example.fr",
        "+33 6 12 34 56 78",
        "le toit de la médiathèque fuit",
        "https://journal.example/vie-locale/mediatheque",
        "La médiathèque rouvre ses portes",
        reference,
    ] {
        assert!(text.contains(needle), "team text lacks {needle}: {text}");
    }
    assert!(team
        .body("text/html")
        .contains(r#"<a href="https://journal.example/vie-locale/mediatheque">"#));
    assert!(team.raw_headers().contains("multipart/alternative"));

    assert!(ack.header("Subject").unwrap().contains(reference));
    assert!(ack
        .header("Subject")
        .unwrap()
        .contains("Nous avons bien reçu votre message"));
    assert!(ack.header("Reply-To").is_none());
    // Nothing the reader typed goes back out, not even the name (only the reference).
    assert!(ack.body("text/plain").starts_with("Bonjour,"));
    assert!(!ack.body("text/plain").contains("Zoé"));
    assert!(!ack.body("text/html").contains("Zoé"));
    assert!(
        !ack.header("To").unwrap().contains("Martin"),
        "a bare address"
    );
    assert!(
        !ack.body("text/plain").contains("toit"),
        "the acknowledgement does not echo the message"
    );
    assert_ne!(ack.header("Message-ID"), team.header("Message-ID"));

    let stored: Vec<String> = app.outbox().into_iter().map(|o| o.message_id).collect();
    assert!(
        stored.contains(&message_id),
        "the Message-ID sent is the one stored"
    );
    eventually("outbox marked sent", Duration::from_secs(5), || {
        app.outbox()
            .iter()
            .all(|o| o.status == "sent" && o.attempts == 1 && o.lease_owner.is_none())
    })
    .await;
}

async fn english_readers_get_an_english_acknowledgement(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let mut body = sales_body();
    body["locale"] = json!("en");
    assert_eq!(app.post_json("sales", &body).await.status(), 201);
    let mails = sink.wait_for(2).await;
    let ack = mails
        .iter()
        .find(|m| m.to == ["jean.dupont@agence.example"])
        .unwrap();
    assert!(ack
        .header("Subject")
        .unwrap()
        .starts_with("We have received your message"));
    assert!(ack.body("text/plain").starts_with("Hello,"));
}

async fn reader_values_are_escaped_in_the_html_notification(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let mut body = newsroom_body();
    body["name"] = json!("<b>Zoé</b> & \"co\"");
    body["subject"] = json!("<img src=x onerror=alert(1)>");
    body["message"] =
        json!("<script>alert('x')</script>\n</pre><a href=\"http://evil.example\">clic</a>");
    body["article_url"] = json!("https://journal.example/a?x=\"><script>1</script>");
    assert_eq!(app.post_json("newsroom", &body).await.status(), 201);
    let mails = sink.wait_for(2).await;
    let team = mails
        .iter()
        .find(|m| m.to == ["redaction@localhost"])
        .unwrap();
    let html = team.body("text/html");
    for raw in ["<script", "<b>Zoé", "<img", "</pre><a", "\"><script"] {
        assert!(!html.contains(raw), "unescaped {raw} in {html}");
    }
    // Entities may be named or numeric; either way the text shows as the reader typed it.
    let shown = html
        .replace("&#60;", "&lt;")
        .replace("&#62;", "&gt;")
        .replace("&#34;", "&quot;")
        .replace("&#38;", "&amp;")
        .replace("&#39;", "&apos;");
    assert!(
        shown.contains("&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt;"),
        "{html}"
    );
    assert!(
        shown.contains("&lt;b&gt;Zoé&lt;/b&gt; &amp; &quot;co&quot;"),
        "{html}"
    );
    let text = team.body("text/plain");
    assert!(
        text.contains("<script>alert('x')</script>"),
        "the text part keeps the message as written"
    );
}

async fn crlf_in_any_field_cannot_inject_a_header(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    for (field, value) in [
        ("name", "Zoé\r\nBcc: victim@example.org"),
        ("name", "Zoé\nBcc: victim@example.org"),
        ("subject", "Hello\r\nBcc: victim@example.org"),
        ("subject", "Hello\rBcc: victim@example.org"),
        ("email", "zoe@example.fr\r\nBcc: victim@example.org"),
        ("email", "zoe@example.fr%0d%0aBcc:victim@example.org"),
        ("article_title", "T\r\nBcc: victim@example.org"),
    ] {
        let mut body = newsroom_body();
        body[field] = json!(value);
        let resp = app.post_json("newsroom", &body).await;
        assert_eq!(resp.status(), 422, "{field}={value:?}");
    }
    assert_eq!(app.count("submissions"), 0);
    // Accepted values that look like headers or encoded words stay inside their header.
    let mut body = newsroom_body();
    body["name"] = json!("=?UTF-8?Q?=0ABcc:_victim@example.org?= Zoé");
    body["subject"] = json!("=?UTF-8?Q?=0D=0ABcc:_victim@example.org?=");
    assert_eq!(app.post_json("newsroom", &body).await.status(), 201);
    let mails = sink.wait_for(2).await;
    for mail in &mails {
        let headers = mail.raw_headers().to_ascii_lowercase();
        assert!(!headers.contains("\r\nbcc:"), "{headers}");
        assert!(
            mail.to.iter().all(|t| !t.contains("victim")),
            "{:?}",
            mail.to
        );
        let parsed = mail.parsed();
        assert!(parsed
            .headers
            .iter()
            .all(|h| !h.get_key().eq_ignore_ascii_case("bcc")));
    }
}

async fn relay_down_then_up_delivers_everything(b: Backend) {
    let port = free_port();
    let app = spawn_app(b, port).await;
    for _ in 0..3 {
        assert_eq!(
            app.post_json("newsroom", &newsroom_body()).await.status(),
            201
        );
    }
    eventually("failed attempts recorded", Duration::from_secs(10), || {
        let jobs = app.outbox();
        jobs.len() == 6
            && jobs
                .iter()
                .all(|j| j.status == "pending" && j.attempts >= 1 && j.last_error.is_some())
    })
    .await;
    let sink = MailSink::start_on_port(port, SinkMode::Accept);
    let mails = sink.wait_for(6).await;
    eventually("all sent", Duration::from_secs(10), || {
        app.outbox().iter().all(|j| j.status == "sent")
    })
    .await;
    let ids: HashSet<String> = mails
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    assert_eq!(ids.len(), 6, "every job delivered");
    assert_eq!(sink.accepted().len(), 6, "and none twice");
}

async fn temporary_refusal_is_retried_with_the_same_message_id(b: Backend) {
    let sink = MailSink::start(SinkMode::RejectTemporarily(2));
    let app = spawn_app(b, sink.port).await;
    assert_eq!(app.post_json("sales", &sales_body()).await.status(), 201);
    sink.wait_for(2).await;
    eventually("both sent", Duration::from_secs(10), || {
        app.outbox().iter().all(|j| j.status == "sent")
    })
    .await;
    let all = sink.all();
    assert_eq!(all.len(), 4, "two refused attempts, two deliveries");
    let refused: Vec<String> = all
        .iter()
        .filter(|m| !m.accepted)
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    let delivered: HashSet<String> = all
        .iter()
        .filter(|m| m.accepted)
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    assert!(
        refused.iter().all(|id| delivered.contains(id)),
        "retries keep their Message-ID"
    );
    assert!(app.outbox().iter().any(|j| j.attempts >= 2));
}

async fn permanent_refusal_makes_the_job_dead_at_once(b: Backend) {
    let sink = MailSink::start(SinkMode::RejectPermanently);
    let app = spawn_app(b, sink.port).await;
    assert_eq!(
        app.post_json("newsroom", &newsroom_body()).await.status(),
        201
    );
    eventually("jobs dead", Duration::from_secs(10), || {
        let jobs = app.outbox();
        jobs.len() == 2 && jobs.iter().all(|j| j.status == "dead")
    })
    .await;
    for job in app.outbox() {
        assert_eq!(job.attempts, 1, "no retry after a 5xx");
        assert!(job.last_error.unwrap().contains("550"));
        assert!(job.lease_owner.is_none());
    }
}

async fn repeated_temporary_failures_end_dead_after_max_attempts(b: Backend) {
    let sink = MailSink::start(SinkMode::RejectTemporarily(usize::MAX));
    let app = spawn_app_with(Arc::new(TestDb::new(b)), sink.port, |s| {
        s.mail.max_attempts = 3
    })
    .await;
    assert_eq!(app.post_json("sales", &sales_body()).await.status(), 201);
    eventually(
        "jobs dead after 3 attempts",
        Duration::from_secs(15),
        || {
            let jobs = app.outbox();
            jobs.len() == 2 && jobs.iter().all(|j| j.status == "dead" && j.attempts == 3)
        },
    )
    .await;
    assert_eq!(sink.all().len(), 6, "three attempts of each");
    assert!(sink.accepted().is_empty());
}

/// Leaves jobs in the outbox without sending them: an instance with its worker off.
async fn queue_jobs_without_worker(
    b: Backend,
    submissions: usize,
) -> (Arc<TestDb>, crate::helpers::TestApp) {
    let db = Arc::new(TestDb::new(b));
    let app = spawn_app_with(db.clone(), free_port(), |s| s.mail.run_worker = false).await;
    for _ in 0..submissions {
        assert_eq!(
            app.post_json("newsroom", &newsroom_body()).await.status(),
            201
        );
    }
    (db, app)
}

async fn expired_leases_are_rescued_and_live_ones_respected(b: Backend) {
    use courrier::db::schema::outbox::dsl::*;
    let (db, web) = queue_jobs_without_worker(b, 1).await;
    let long_ago = courrier::db::now() - chrono::Duration::hours(1);
    let later = courrier::db::now() + chrono::Duration::hours(1);
    web.with_conn(|c| {
        let ids: Vec<String> = outbox.select(id).order(purpose.asc()).load(c).unwrap();
        // The reader's acknowledgement was claimed by a worker that died an hour ago; the team
        // notification is held by a live worker.
        diesel::update(outbox.filter(id.eq(&ids[0])))
            .set((
                lease_owner.eq("dead-worker"),
                lease_until.eq(long_ago),
                attempts.eq(1),
            ))
            .execute(c)
            .unwrap();
        diesel::update(outbox.filter(id.eq(&ids[1])))
            .set((
                lease_owner.eq("live-worker"),
                lease_until.eq(later),
                attempts.eq(1),
            ))
            .execute(c)
            .unwrap();
    });
    let sink = MailSink::start(SinkMode::Accept);
    let worker = spawn_app_with(db, sink.port, |_| {}).await;
    let mails = sink.wait_for(1).await;
    assert_eq!(mails[0].to, ["zoe.martin@example.fr"]);
    eventually("rescued job sent", Duration::from_secs(5), || {
        worker
            .outbox()
            .iter()
            .any(|j| j.purpose == "reader_ack" && j.status == "sent" && j.attempts == 2)
    })
    .await;
    let held = worker
        .outbox()
        .into_iter()
        .find(|j| j.purpose == "team_notification")
        .unwrap();
    assert_eq!(
        (held.status.as_str(), held.lease_owner.as_deref()),
        ("pending", Some("live-worker"))
    );
    assert_eq!(sink.all().len(), 1, "a live lease is not taken over");
}

async fn several_workers_never_send_a_job_twice(b: Backend) {
    let (db, _web) = queue_jobs_without_worker(b, 40).await;
    let sink = MailSink::start(SinkMode::Accept);
    let tweak = |s: &mut courrier::config::Settings| {
        s.mail.concurrency = 4;
        s.mail.batch_size = 3;
    };
    let a = spawn_app_with(db.clone(), sink.port, tweak).await;
    let _b = spawn_app_with(db.clone(), sink.port, tweak).await;
    eventually("all 80 jobs sent", Duration::from_secs(30), || {
        a.outbox().iter().all(|j| j.status == "sent")
    })
    .await;
    let mails = sink.all();
    let ids: HashSet<String> = mails
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    assert_eq!(mails.len(), 80, "no job sent twice");
    assert_eq!(ids.len(), 80);
    assert!(a.outbox().iter().all(|j| j.attempts == 1));
}

crate::on_both_backends!(
    team_and_reader_get_well_formed_messages,
    english_readers_get_an_english_acknowledgement,
    reader_values_are_escaped_in_the_html_notification,
    crlf_in_any_field_cannot_inject_a_header,
    relay_down_then_up_delivers_everything,
    temporary_refusal_is_retried_with_the_same_message_id,
    permanent_refusal_makes_the_job_dead_at_once,
    repeated_temporary_failures_end_dead_after_max_attempts,
    expired_leases_are_rescued_and_live_ones_respected,
    several_workers_never_send_a_job_twice,
);
