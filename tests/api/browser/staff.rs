//! Staff at work in the browser: signing in and out, lockout, expiry, the cookie, the inbox,
//! each action, two browsers on one submission, and the sales account's view.

use diesel::prelude::*;
use fantoccini::Locator;
use serde_json::json;

use super::{Browser, Js};
use crate::console::api_detail;
use crate::helpers::{newsroom_body, spawn_app, Backend, MailSink, SinkMode, PASSWORD};

async fn signing_in_lockout_cookie_expiry_and_signing_out(js: Js) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(Backend::Sqlite, sink.port).await;
    let editor = app.staff("editor").await;
    let locked = app.staff("editor").await;
    let b = Browser::open(&app, js).await;
    b.sign_in_with(&editor.email, "wrong password here").await;
    assert_eq!(b.path().await, "/staff/login");
    let text = b.text().await;
    assert!(
        text.contains("Adresse e-mail ou mot de passe incorrect."),
        "{text}"
    );

    for _ in 0..5 {
        b.sign_in_with(&locked.email, "wrong password here").await;
    }
    b.sign_in_with(&locked.email, PASSWORD).await;
    assert!(b
        .text()
        .await
        .contains("Trop de tentatives. Réessayez dans"));

    b.sign_in(&editor).await;
    assert!(b.text().await.contains("Test editor"));
    // The script is there only with JavaScript on: it adds a "select all" box.
    app.submit("newsroom").await;
    b.goto("/staff/").await;
    let enhanced = b
        .client
        .find_all(Locator::Css("thead input"))
        .await
        .unwrap();
    assert_eq!(enhanced.len(), usize::from(js == Js::On));

    let cookies = b.client.get_all_cookies().await.unwrap();
    let session = cookies
        .iter()
        .find(|c| c.name() == "courrier_staff")
        .unwrap();
    assert_eq!(session.http_only(), Some(true));
    assert_eq!(format!("{:?}", session.same_site()), "Some(Strict)");
    assert_eq!(session.path(), Some("/staff"));
    assert_ne!(session.secure(), Some(true));

    b.submit("form.signout button").await;
    assert_eq!(b.path().await, "/staff/login?done=out");
    b.goto("/staff/").await;
    assert!(b.path().await.starts_with("/staff/login"));

    // An expired session sends the browser back to the sign-in page, and then back here.
    b.sign_in(&editor).await;
    let past = courrier::db::now() - chrono::Duration::minutes(1);
    app.with_conn(|c| {
        use courrier::db::schema::staff_sessions::dsl::*;
        diesel::update(staff_sessions)
            .set(expires_at.eq(past))
            .execute(c)
            .unwrap();
    });
    b.goto("/staff/account").await;
    assert_eq!(b.path().await, "/staff/login?next=%2Fstaff%2Faccount");
    b.fill("#email", &editor.email).await;
    b.fill("#password", PASSWORD).await;
    b.submit("form.card button[type=submit]").await;
    assert_eq!(b.path().await, "/staff/account");
}

async fn the_inbox_filters_searches_pages_and_marks_overdue(js: Js) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(Backend::Sqlite, sink.port).await;
    let editor = app.staff("editor").await;
    let mut late = newsroom_body();
    late["topic"] = json!("right_of_reply");
    late["subject"] = json!("Droit de réponse de la mairie");
    let late: serde_json::Value = app.post_json("newsroom", &late).await.json().await.unwrap();
    let late = late["reference"].as_str().unwrap().to_owned();
    app.with_conn(|c| {
        use courrier::db::schema::submissions::dsl::*;
        diesel::update(submissions.filter(reference.eq(&late)))
            .set(deadline_at.eq(courrier::db::now() - chrono::Duration::hours(2)))
            .execute(c)
            .unwrap();
    });
    for _ in 0..51 {
        app.submit("newsroom").await;
    }
    let b = Browser::open(&app, js).await;
    b.sign_in(&editor).await;
    let rows = || async {
        b.client
            .find_all(Locator::Css("tbody tr"))
            .await
            .unwrap()
            .len()
    };
    assert_eq!(rows().await, 50);
    b.screenshots("inbox").await;
    b.submit("a[rel=next]").await;
    assert_eq!(rows().await, 2);
    assert!(b.text().await.contains(&late));
    let overdue = b.client.find(Locator::Css("tr.overdue")).await.unwrap();
    assert!(overdue.text().await.unwrap().contains("En retard"));

    b.goto("/staff/").await;
    b.fill("#f-q", &late).await;
    b.submit("form.filters button").await;
    assert_eq!(rows().await, 1);
    b.goto("/staff/").await;
    b.choose("#f-topic", "right_of_reply").await;
    b.submit("form.filters button").await;
    assert_eq!(rows().await, 1);
    b.goto("/staff/").await;
    b.click("#f-overdue").await;
    b.submit("form.filters button").await;
    assert_eq!(rows().await, 1);
    b.goto("/staff/").await;
    b.choose("#f-status", "spam").await;
    b.submit("form.filters button").await;
    assert!(b.text().await.contains("Aucun message ne correspond."));
}

async fn each_action_works_and_the_api_sees_it(js: Js) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(Backend::Sqlite, sink.port).await;
    let editor = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    let (spam, _) = app.submit("newsroom").await;
    let b = Browser::open(&app, js).await;
    b.sign_in(&editor).await;
    let page = format!("/staff/submissions/{reference}");
    b.goto(&page).await;
    b.screenshots("submission").await;

    b.choose("#status", "open").await;
    b.submit("form[action$='/status'] button").await;
    assert_eq!(b.path().await, format!("{page}?done=status"));
    assert!(b.text().await.contains("Modification enregistrée."));
    b.choose("#assignee", "me").await;
    b.submit("form[action$='/assign'] button").await;
    b.choose("#priority", "high").await;
    b.submit("form[action$='/priority'] button").await;
    b.fill("#note-body", "Vérifier auprès de la mairie").await;
    b.submit("form[action$='/notes'] button").await;
    assert!(b.text().await.contains("Note ajoutée."));
    b.fill("#reply-subject", "Votre signalement").await;
    b.fill("#reply-body", "Merci, un journaliste vous rappelle.")
        .await;
    b.submit("form[action$='/replies'] button").await;
    assert!(b.text().await.contains("Réponse enregistrée"));

    let detail = api_detail(&app, &editor, &reference).await;
    assert_eq!(detail["status"], "open");
    assert_eq!(detail["assignee_id"], editor.id.as_str());
    assert_eq!(detail["priority"], "high");
    assert_eq!(detail["notes"][0]["body"], "Vérifier auprès de la mairie");
    assert_eq!(
        detail["replies"][0]["body"],
        "Merci, un journaliste vous rappelle."
    );

    // A refused move shows the page again with the error by the field.
    b.fill("#note-body", " ").await;
    b.submit("form[action$='/notes'] button").await;
    let error = b.client.find(Locator::Id("note-error")).await.unwrap();
    assert_eq!(error.text().await.unwrap(), "Ce champ est obligatoire.");

    // Bulk: tick one row and mark it as spam, then release it.
    b.goto("/staff/").await;
    b.click(&format!("#pick-{spam}")).await;
    b.submit("button[value=spam]").await;
    assert!(b.text().await.contains("Messages mis à jour : 1"));
    assert_eq!(api_detail(&app, &editor, &spam).await["status"], "spam");
    b.goto(&format!("/staff/submissions/{spam}")).await;
    b.choose("#status", "open").await;
    b.submit("form[action$='/status'] button").await;
    assert_eq!(api_detail(&app, &editor, &spam).await["status"], "open");
}

async fn two_browsers_editing_one_submission(js: Js) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(Backend::Sqlite, sink.port).await;
    let alice = app.staff("editor").await;
    let bob = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    let page = format!("/staff/submissions/{reference}");
    let (first, second) = Browser::open_two(&app, js).await;
    first.sign_in(&alice).await;
    second.sign_in(&bob).await;
    first.goto(&page).await;
    second.goto(&page).await;
    first.choose("#status", "open").await;
    first.submit("form[action$='/status'] button").await;
    // Another field, from the page drawn before: merged.
    second.choose("#priority", "low").await;
    second.submit("form[action$='/priority'] button").await;
    assert_eq!(second.path().await, format!("{page}?done=priority"));
    let both = api_detail(&app, &alice, &reference).await;
    assert_eq!(
        (both["status"].as_str(), both["priority"].as_str()),
        (Some("open"), Some("low"))
    );
    // The same field, from a page drawn before Bob's change: refused, with what changed.
    first.choose("#priority", "high").await;
    first.submit("form[action$='/priority'] button").await;
    let conflict = first.client.find(Locator::Id("conflict")).await.unwrap();
    let text = conflict.text().await.unwrap();
    // In the page's language, not the audit log's names.
    assert!(
        text.contains("Priorité") && text.contains("normale → basse"),
        "{text}"
    );
    assert_eq!(
        api_detail(&app, &alice, &reference).await["priority"],
        "low"
    );
    // The page now carries the current version: trying again works.
    first.choose("#priority", "high").await;
    first.submit("form[action$='/priority'] button").await;
    assert_eq!(
        api_detail(&app, &alice, &reference).await["priority"],
        "high"
    );
}

async fn a_sales_account_sees_no_editorial_submission(js: Js) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(Backend::Sqlite, sink.port).await;
    let sales = app.staff("sales").await;
    let (tip, _) = app.submit("newsroom").await;
    let (lead, _) = app.submit("sales").await;
    let b = Browser::open(&app, js).await;
    b.sign_in(&sales).await;
    let text = b.text().await;
    assert!(text.contains(&lead) && !text.contains(&tip));
    assert!(!text.contains("Rédaction"));
    b.goto(&format!("/staff/?q={tip}")).await;
    assert!(!b.text().await.contains(&tip));
    b.goto(&format!("/staff/submissions/{tip}")).await;
    assert!(b.text().await.contains("Introuvable."));
    b.goto("/staff/users").await;
    assert!(b.text().await.contains("réservée aux administrateurs"));
}

crate::in_both_browsers!(
    signing_in_lockout_cookie_expiry_and_signing_out,
    the_inbox_filters_searches_pages_and_marks_overdue,
    each_action_works_and_the_api_sees_it,
    two_browsers_editing_one_submission,
    a_sales_account_sees_no_editorial_submission,
);
