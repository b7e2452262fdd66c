//! Staff at work in the browser: signing in and out, the inbox, each action, two browsers on
//! one submission, and the sales account's view.

use super::{Browser, Js};
use crate::helpers::{spawn_app, Backend, MailSink, SinkMode};

async fn signing_in_and_out(js: Js) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(Backend::Sqlite, sink.port).await;
    let editor = app.staff("editor").await;
    let b = Browser::open(&app, js).await;
    b.sign_in_with(&editor.email, "wrong password here").await;
    assert_eq!(b.path().await, "/staff/login");
    let text = b.text().await;
    assert!(
        text.contains("Adresse e-mail ou mot de passe incorrect."),
        "{text}"
    );
    b.sign_in(&editor).await;
    assert!(b.text().await.contains("Test editor"));
    b.click("form.signout button").await;
    assert_eq!(b.path().await, "/staff/login?done=out");
    b.goto("/staff/").await;
    assert!(b.path().await.starts_with("/staff/login"));
}

crate::in_both_browsers!(signing_in_and_out);
