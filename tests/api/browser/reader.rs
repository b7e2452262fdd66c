//! A reader's mistake, in the browser: the article's form posted with a bad address comes back
//! filled in, with the error by the field; corrected there, it is sent and thanked for.

use std::sync::Arc;

use super::{Browser, Js};
use crate::helpers::{spawn_app_with, MailSink, SinkMode, TestDb};

async fn a_reader_corrects_the_form_on_the_error_page_and_sends_it(js: Js) {
    let sink = MailSink::start(SinkMode::Accept);
    // A lost token would quarantine the submission: this proves the error page carried it.
    let app = spawn_app_with(
        Arc::new(TestDb::new(crate::helpers::Backend::Sqlite)),
        sink.port,
        |s| {
            s.antispam.require_token = true;
            s.antispam.min_seconds = 0;
        },
    )
    .await;
    let b = Browser::open(&app, js).await;
    b.goto("/").await;
    b.fill("#n-name", "Zoé Martin").await;
    // The browser checks the address itself; the telephone number only the server checks.
    b.fill("#n-email", "zoe.martin@example.fr").await;
    b.fill("#n-phone", "call me maybe").await;
    b.fill("#n-subject", "Horloges").await;
    b.fill(
        "#n-message",
        "La quatrième horloge retarde de cinq minutes.",
    )
    .await;
    b.click("#redaction input[name=consent]").await;
    b.submit("#redaction button[type=submit]").await;

    assert_eq!(b.path().await, "/v1/forms/newsroom");
    let error = b
        .client
        .find(fantoccini::Locator::Id("a-phone-error"))
        .await
        .unwrap();
    assert!(!error.text().await.unwrap().is_empty());
    let message = b
        .client
        .find(fantoccini::Locator::Id("a-message"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        message.as_deref(),
        Some("La quatrième horloge retarde de cinq minutes.")
    );
    assert_eq!(app.count("submissions"), 0);

    b.fill("#a-phone", "+33 6 12 34 56 78").await;
    b.submit("main form button[type=submit]").await;
    let path = b.path().await;
    assert!(path.starts_with("/merci?reference="), "{path}");
    let reference = path
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("reference="))
        .unwrap()
        .to_owned();
    let stored = app.with_conn(|c| courrier::db::submissions::by_reference(c, &reference).unwrap());
    assert_eq!(stored.subject.as_deref(), Some("Horloges"));
    assert_eq!(stored.email, "zoe.martin@example.fr");
    assert_eq!(stored.spam_reason, None);
    assert!(b.text().await.contains(&reference));
}

crate::in_both_browsers!(a_reader_corrects_the_form_on_the_error_page_and_sends_it);
