//! The acknowledgement is no way to mail chosen text to a chosen address: it carries nothing the
//! reader typed but the reference, it is capped per mailbox (plus tags folded) and per domain,
//! and the per-client form limit counts an IPv6 /64 as one client.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::helpers::{newsroom_body, spawn_app_with, Backend, MailSink, SinkMode, TestApp, TestDb};

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
    let app = spawn_app_with(Arc::new(TestDb::new(b)), crate::helpers::free_port(), |s| {
        s.http.trusted_proxies = vec!["127.0.0.1".into()];
        s.limits.form_per_ip_per_minute = 3;
        s.mail.run_worker = false;
    })
    .await;
    let body = newsroom_body();
    for n in 1..=3 {
        assert_eq!(
            post_from(&app, &format!("2001:db8:7:7::{n}"), &body).await,
            201
        );
    }
    assert_eq!(
        post_from(&app, "2001:db8:7:7:ffff:1:2:3", &body).await,
        429,
        "another address of the same /64"
    );
    assert_eq!(
        post_from(&app, "2001:db8:7:8::1", &body).await,
        201,
        "the next /64 is another client"
    );
    assert_eq!(post_from(&app, "198.51.100.1", &body).await, 201);
}

crate::on_both_backends!(
    plus_tagged_posts_from_one_64_get_three_acknowledgements_and_all_reach_the_team,
    the_domain_cap_counts_every_mailbox_of_a_domain,
    the_per_client_limit_counts_an_ipv6_64_as_one_client,
);
