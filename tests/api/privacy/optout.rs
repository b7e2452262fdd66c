//! The marketing opt-out: a signed link in every commercial e-mail, with RFC 8058's one-click
//! headers; a page that changes nothing, a POST that withdraws; forged and expired links 404.

use secrecy::SecretString;
use serde_json::json;

use super::export::export;
use super::{acknowledgement, app_with, count_where, post, record, Person};
use crate::helpers::{Backend, MailSink, ReceivedMail, SinkMode, TestApp};

const KEY: &str = "the opt-out tests' reply key";

/// The token at the end of a `List-Unsubscribe: <…/v1/optout/TOKEN>` header.
fn token_of(mail: &ReceivedMail) -> String {
    let header = mail.header("List-Unsubscribe").expect("List-Unsubscribe");
    let url = header.trim().trim_start_matches('<').trim_end_matches('>');
    assert!(
        url.starts_with("http://courrier.journal.example/v1/optout/"),
        "{url}"
    );
    url.rsplit('/').next().unwrap().to_owned()
}

async fn optout_app(b: Backend, sink: &MailSink) -> TestApp {
    app_with(b, sink, |s| {
        s.mail.reply_key = Some(SecretString::from(KEY.to_owned()));
        s.site.public_url = "http://courrier.journal.example".into();
    })
    .await
}

async fn commercial_emails_carry_a_one_click_optout_that_staff_then_see(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = optout_app(b, &sink).await;
    let admin = app.staff("admin").await;
    let person = Person::new();
    let lead = post(&app, "sales", &person.sales()).await;
    let tip = post(&app, "newsroom", &person.newsroom()).await;
    let mails = sink.wait_for(4).await;
    let ack = acknowledgement(&mails, &person, &lead);
    assert_eq!(
        ack.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let token = token_of(&ack);
    let link = format!("http://courrier.journal.example/v1/optout/{token}");
    assert!(
        ack.body("text/plain").contains(&link),
        "the link is in the text"
    );
    assert!(ack.body("text/html").contains(&format!("href=\"{link}\"")));
    // The newsroom's e-mails are no marketing: no opt-out there.
    let news_ack = acknowledgement(&mails, &person, &tip);
    assert_eq!(news_ack.header("List-Unsubscribe"), None);
    assert!(!news_ack.body("text/plain").contains("/v1/optout/"));
    // A staff reply on the lead carries it too.
    let resp = app
        .post_as(&admin, &format!("/v1/submissions/{lead}/replies"))
        .json(&json!({ "body": "Voici nos tarifs." }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let mails = sink.wait_for(5).await;
    let reply = mails.last().unwrap();
    assert!(reply.header("Subject").unwrap().contains(&lead));
    assert_eq!(
        reply.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(!token_of(reply).is_empty());

    // The page asks and changes nothing (link scanners follow GETs).
    let page = app.get(&format!("/v1/optout/{token}")).await;
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"fr\""));
    assert!(html.contains("<form method=\"post\""));
    assert!(!html.contains("<script"));
    let english = app
        .client
        .get(app.url(&format!("/v1/optout/{token}")))
        .header("Accept-Language", "en-GB,en;q=0.8")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("<html lang=\"en\"") && english.contains("Stop the offers"));
    assert_eq!(
        record(&app, &admin, &lead).await["marketing_withdrawn_at"],
        json!(null)
    );

    // RFC 8058's one-click POST.
    let done = app
        .client
        .post(app.url(&format!("/v1/optout/{token}")))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("C’est noté"));
    let r = record(&app, &admin, &lead).await;
    let at = r["marketing_withdrawn_at"]
        .as_str()
        .expect("withdrawn")
        .to_owned();
    assert!(r["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "marketing_withdrawn" && e["actor"] == "reader"));
    // Again: the same page, nothing changes.
    let again = app
        .client
        .post(app.url(&format!("/v1/optout/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(
        record(&app, &admin, &lead).await["marketing_withdrawn_at"],
        at
    );
    assert_eq!(
        count_where(&app, "events WHERE kind = 'marketing_withdrawn'"),
        1
    );
    let page = app
        .get(&format!("/v1/optout/{token}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("C’est noté") && !page.contains("<form"));

    // In the export, on each of the address's submissions.
    let doc = export(&app, &admin, &person.email).await;
    for s in doc["submissions"].as_array().unwrap() {
        assert!(s["marketing_withdrawn_at"].is_string(), "{s}");
    }

    // And on the console's page of the submission.
    let console = console_page(&app, &admin, &lead).await;
    assert!(console.contains("accord retiré le"), "{console}");
}

/// The console's page of a submission, as a signed-in browser gets it.
async fn console_page(app: &TestApp, who: &crate::helpers::Staff, reference: &str) -> String {
    let browser = crate::console::Browser::new(app);
    browser.sign_in(who).await;
    let page = browser
        .get(&format!("/staff/submissions/{reference}"))
        .await;
    assert_eq!(page.status, 200);
    page.body
}

async fn forged_foreign_and_expired_optout_links_find_nothing(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = optout_app(b, &sink).await;
    let person = Person::new();
    let lead = post(&app, "sales", &person.sales()).await;
    let mails = sink.wait_for(2).await;
    let token = token_of(&acknowledgement(&mails, &person, &lead));
    let key = courrier::mail::reply_token::ReplyKey::new(KEY);
    let yesterday = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
    let mut flipped = token.clone().into_bytes();
    let last = flipped.len() - 1;
    flipped[last] = if flipped[last] == b'a' { b'b' } else { b'a' };
    let forged = [
        String::from_utf8(flipped).unwrap(),
        key.optout_token(&lead, yesterday),
        courrier::mail::reply_token::ReplyKey::new("another deployment's key")
            .optout_token(&lead, chrono::Utc::now().date_naive()),
        key.token(&lead),
        "nothing".into(),
    ];
    for bad in &forged {
        let get = app.get(&format!("/v1/optout/{bad}")).await;
        assert_eq!(get.status(), 404, "GET {bad}");
        let post = app
            .client
            .post(app.url(&format!("/v1/optout/{bad}")))
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(post.status(), 404, "POST {bad}");
    }
    assert_eq!(
        count_where(&app, "submissions WHERE marketing_withdrawn_at IS NOT NULL"),
        0
    );
    // A valid link to a submission since erased finds nothing either.
    let admin = app.staff("admin").await;
    super::erasure::erase(&app, &admin, &person.email).await;
    assert_eq!(app.get(&format!("/v1/optout/{token}")).await.status(), 404);
}

crate::on_both_backends!(
    commercial_emails_carry_a_one_click_optout_that_staff_then_see,
    forged_foreign_and_expired_optout_links_find_nothing,
);
