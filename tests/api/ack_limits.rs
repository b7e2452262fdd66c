//! The acknowledgement is no way to mail chosen text to a chosen address: it carries nothing the
//! reader typed but the reference, it is capped per mailbox (plus tags folded) and per domain,
//! and the per-client form limit counts an IPv6 /64 as one client.

use std::sync::Arc;

use courrier::config::Settings;
use serde_json::{json, Value};

use crate::helpers::{
    free_port, newsroom_body, spawn_app_with, Backend, MailSink, ReceivedMail, SinkMode, TestApp,
    TestDb,
};

async fn post_from(app: &TestApp, client: &str, body: &Value) -> u16 {
    app.client
        .post(app.url("/v1/forms/newsroom"))
        .header("x-forwarded-for", client)
        .json(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Posts the usual newsroom form for this reader address; the answer's status.
async fn post_to(app: &TestApp, email: &str) -> u16 {
    let mut body = newsroom_body();
    body["email"] = json!(email);
    app.post_json("newsroom", &body).await.status().as_u16()
}

fn events_of_kind(app: &TestApp, kind: &str) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Detail {
        #[diesel(sql_type = diesel::sql_types::Text)]
        detail: String,
    }
    app.with_conn(|c| {
        use diesel::prelude::*;
        diesel::sql_query(format!(
            "SELECT detail FROM events WHERE kind = '{kind}' ORDER BY created_at"
        ))
        .load::<Detail>(c)
        .unwrap()
        .into_iter()
        .map(|d| d.detail)
        .collect()
    })
}

async fn plus_tagged_posts_from_one_64_get_three_acknowledgements_and_all_reach_the_team(
    b: Backend,
) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app_with(Arc::new(TestDb::new(b)), sink.port, |s| {
        s.mail.run_worker = false;
        s.http.trusted_proxies = vec!["127.0.0.1".into()];
        s.limits.ack_per_mailbox_per_day = 3;
        s.limits.form_per_ip_per_minute = 10;
    })
    .await;
    let spam = "WIN 5000 EUR now at https://evil.example/claim";
    for n in 1..=8 {
        let mut body = newsroom_body();
        body["email"] = json!(format!("victim+{n}@example.com"));
        body["name"] = json!(spam);
        body["subject"] = json!(spam);
        let status = post_from(&app, &format!("2001:db8:1:2::{n}"), &body).await;
        assert_eq!(status, 201, "a genuine reader is never refused");
    }
    assert_eq!(app.dispatch_all_pending().await, 11);
    assert!(app.outbox().iter().all(|j| j.status == "sent"));
    let mails = sink.accepted();
    assert_eq!(
        mails.len(),
        11,
        "8 team notifications and 3 acknowledgements"
    );
    let acks: Vec<_> = mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t.ends_with("@example.com")))
        .collect();
    assert_eq!(acks.len(), 3);
    for ack in &acks {
        let text = format!(
            "{}\n{}\n{}\n{}",
            ack.header("Subject").unwrap(),
            ack.header("To").unwrap(),
            ack.body("text/plain"),
            ack.body("text/html")
        );
        for typed in ["WIN", "evil.example", "médiathèque", "toit"] {
            assert!(
                !text.contains(typed),
                "the acknowledgement carries {typed}: {text}"
            );
        }
    }
    let skipped = events_of_kind(&app, "ack_skipped");
    assert_eq!(skipped.len(), 5, "{skipped:?}");
    assert!(skipped
        .iter()
        .all(|d| d.contains("ack_per_mailbox_per_day") && !d.contains("victim")));
    assert_eq!(app.count("submissions"), 8);
}

async fn the_domain_cap_counts_every_mailbox_of_a_domain(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app_with(Arc::new(TestDb::new(b)), sink.port, |s| {
        s.limits.ack_per_domain_per_hour = 2;
    })
    .await;
    for who in ["ana", "bruno", "chloe"] {
        let mut body = newsroom_body();
        body["email"] = json!(format!("{who}@webmail.example"));
        assert_eq!(app.post_json("newsroom", &body).await.status(), 201);
    }
    let acks = app
        .outbox()
        .iter()
        .filter(|j| j.purpose == "reader_ack")
        .count();
    assert_eq!(acks, 2);
    let skipped = events_of_kind(&app, "ack_skipped");
    assert_eq!(skipped.len(), 1);
    assert!(
        skipped[0].contains("ack_per_domain_per_hour"),
        "{skipped:?}"
    );
    assert_eq!(app.count("ack_log"), 2, "only what was sent is counted");
}

async fn the_per_client_limit_counts_an_ipv6_64_as_one_client(b: Backend) {
    let app = spawn_app_with(Arc::new(TestDb::new(b)), free_port(), |s| {
        s.http.trusted_proxies = vec!["127.0.0.1".into()];
        // The shipped limit (the test settings lift it for the rest of the suite).
        s.limits.form_per_ip_per_minute = 10;
        s.mail.run_worker = false;
    })
    .await;
    let body = newsroom_body();
    for n in 1..=10 {
        assert_eq!(
            post_from(&app, &format!("2001:db8:7:7::{n:x}"), &body).await,
            201
        );
    }
    assert_eq!(
        post_from(&app, "2001:db8:7:7:ffff:1:2:3", &body).await,
        429,
        "the 11th post, from yet another address of the same /64"
    );
    assert_eq!(
        post_from(&app, "2001:db8:7:8::1", &body).await,
        201,
        "the next /64 is another client"
    );
    assert_eq!(post_from(&app, "198.51.100.1", &body).await, 201);
    assert_eq!(
        post_from(&app, "198.51.100.2", &body).await,
        201,
        "an IPv4 client is its address"
    );
}

async fn the_per_reader_limit_counts_a_mailbox_whatever_its_tags(b: Backend) {
    let app = spawn_app_with(Arc::new(TestDb::new(b)), free_port(), |s| {
        s.limits.form_per_email_per_hour = 2;
        s.mail.run_worker = false;
    })
    .await;
    let post = |email| post_to(&app, email);
    assert_eq!(post("victim+1@example.com").await, 201);
    assert_eq!(post("Victim+2@example.com").await, 201);
    assert_eq!(post("victim+3@example.com").await, 429, "one mailbox");
    assert_eq!(post("other@example.com").await, 201);
    assert_eq!(post("a.na@gmail.com").await, 201);
    assert_eq!(post("ana+x@googlemail.com").await, 201);
    assert_eq!(post("an.a@gmail.com").await, 429, "Gmail ignores dots");
}

/// Every header (decoded, and as sent) and both bodies of a message, as one text.
fn whole_text(mail: &ReceivedMail) -> String {
    let parsed = mail.parsed();
    let mut parts: Vec<String> = parsed
        .headers
        .iter()
        .map(|h| format!("{}: {}", h.get_key(), h.get_value()))
        .collect();
    parts.push(mail.body("text/plain"));
    parts.push(mail.body("text/html"));
    parts.join("\n")
}

async fn the_acknowledgement_carries_the_reference_and_nothing_the_reader_typed(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app_with(Arc::new(TestDb::new(b)), sink.port, |s| {
        s.mail.run_worker = false;
    })
    .await;
    let lure = "WIN 5000 EUR now at https://evil.example/claim";
    let newsroom = json!({
        "name": lure,
        "email": "reader@example.com",
        "topic": "tip",
        "subject": "Lure subject, call 0800",
        "message": "Lure message: wire the fee today.",
        "phone": "+33 6 99 88 77 66",
        "article_url": "https://evil.example/lure-article",
        "article_title": "Lure title",
        "consent": true
    });
    let sales = json!({
        "name": lure,
        "email": "buyer@example.org",
        "organisation": "Lure Organisation",
        "topic": "advertising",
        "message": "Lure sales message.",
        "phone": "+33 6 99 88 77 66",
        "article_url": "https://evil.example/lure-article",
        "consent": true
    });
    let mut expected = Vec::new();
    for (form, body) in [("newsroom", &newsroom), ("sales", &sales)] {
        let resp = app.post_json(form, body).await;
        assert_eq!(resp.status(), 201);
        let answer: Value = resp.json().await.unwrap();
        let reference = answer["reference"].as_str().unwrap().to_owned();
        expected.push((body["email"].as_str().unwrap().to_owned(), reference));
    }
    assert_eq!(app.dispatch_all_pending().await, 4);
    let mails = sink.accepted();
    for (address, reference) in expected {
        let ack = mails
            .iter()
            .find(|m| m.to == [address.clone()])
            .unwrap_or_else(|| panic!("no acknowledgement for {address}"));
        let text = whole_text(ack);
        for typed in ["WIN", "5000", "evil.example", "Lure", "0800", "99 88 77 66"] {
            assert!(!text.contains(typed), "the ack carries {typed:?}:\n{text}");
        }
        let raw = ack.raw_headers();
        assert!(
            !raw.contains("evil.example") && !raw.contains(" EUR"),
            "{raw}"
        );
        assert_eq!(ack.header("To").unwrap(), address, "a bare address");
        assert!(ack.header("Reply-To").is_none());
        assert!(ack.header("Subject").unwrap().contains(&reference));
        assert!(ack.body("text/plain").contains(&reference));
        assert!(ack.body("text/html").contains(&reference));
    }
    // The team still gets everything the reader wrote.
    let team = mails
        .iter()
        .find(|m| m.to.iter().any(|t| t.starts_with("redaction@")))
        .unwrap();
    assert!(whole_text(team).contains(lure));
}

async fn the_mailbox_cap_holds_across_instances_and_restarts(b: Backend) {
    let db = Arc::new(TestDb::new(b));
    let tweak = |s: &mut Settings| {
        s.limits.ack_per_mailbox_per_day = 3;
        s.mail.run_worker = false;
    };
    let first = spawn_app_with(db.clone(), free_port(), tweak).await;
    assert_eq!(post_to(&first, "victim@gmail.com").await, 201);
    assert_eq!(post_to(&first, "v.i.c.t.i.m@gmail.com").await, 201);
    // Another instance on the same database, started afresh: it remembers nothing in memory.
    let second = spawn_app_with(db.clone(), free_port(), tweak).await;
    for email in ["Victim+news@googlemail.com", "vic.tim+2@gmail.com"] {
        assert_eq!(post_to(&second, email).await, 201);
    }
    assert_eq!(post_to(&first, "victim+again@gmail.com").await, 201);
    let acks = first
        .outbox()
        .iter()
        .filter(|j| j.purpose == "reader_ack")
        .count();
    assert_eq!(acks, 3, "one mailbox, three acknowledgements a day");
    let skipped = events_of_kind(&first, "ack_skipped");
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(skipped
        .iter()
        .all(|d| d.contains("ack_per_mailbox_per_day")));
    assert_eq!(first.count("submissions"), 5);
    assert_eq!(
        first
            .outbox()
            .iter()
            .filter(|j| j.purpose == "team_notification")
            .count(),
        5
    );
    // The log keeps keyed hashes, never the address nor its domain.
    let logged: Vec<String> = first.with_conn(|c| {
        use diesel::prelude::*;
        #[derive(diesel::QueryableByName)]
        struct Logged {
            #[diesel(sql_type = diesel::sql_types::Text)]
            keys: String,
        }
        diesel::sql_query("SELECT mailbox || ' ' || domain AS keys FROM ack_log")
            .load::<Logged>(c)
            .unwrap()
            .into_iter()
            .map(|l| l.keys)
            .collect()
    });
    assert_eq!(logged.len(), 3);
    assert!(
        logged
            .iter()
            .all(|k| !k.contains("victim") && !k.contains("gmail")),
        "{logged:?}"
    );
}

async fn the_domain_cap_counts_one_provider_under_both_its_names(b: Backend) {
    let app = spawn_app_with(Arc::new(TestDb::new(b)), free_port(), |s| {
        s.limits.ack_per_domain_per_hour = 2;
        s.mail.run_worker = false;
    })
    .await;
    for email in ["ana@gmail.com", "bruno@googlemail.com", "chloe@gmail.com"] {
        let mut body = newsroom_body();
        body["email"] = json!(email);
        assert_eq!(app.post_json("newsroom", &body).await.status(), 201);
    }
    let acks = app
        .outbox()
        .iter()
        .filter(|j| j.purpose == "reader_ack")
        .count();
    assert_eq!(acks, 2);
    let skipped = events_of_kind(&app, "ack_skipped");
    assert_eq!(skipped.len(), 1);
    assert!(
        skipped[0].contains("ack_per_domain_per_hour"),
        "{skipped:?}"
    );
}

crate::on_both_backends!(
    plus_tagged_posts_from_one_64_get_three_acknowledgements_and_all_reach_the_team,
    the_domain_cap_counts_every_mailbox_of_a_domain,
    the_per_client_limit_counts_an_ipv6_64_as_one_client,
    the_per_reader_limit_counts_a_mailbox_whatever_its_tags,
    the_acknowledgement_carries_the_reference_and_nothing_the_reader_typed,
    the_mailbox_cap_holds_across_instances_and_restarts,
    the_domain_cap_counts_one_provider_under_both_its_names,
);
