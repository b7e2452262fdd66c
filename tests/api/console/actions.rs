//! The submission page and its forms: each action's effect as the JSON API sees it, refusals
//! by field, a conflicting edit, and forms posted without the session or its token.

use super::{api_detail, Browser};
use crate::helpers::{spawn_app, Backend, MailSink, SinkMode};

async fn each_action_form_changes_what_the_api_shows(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    let page_path = format!("/staff/submissions/{reference}");
    let action = |a: &str| format!("{page_path}/{a}");

    let page = browser.get(&page_path).await;
    assert_eq!(page.status, 200);
    for shown in [
        "Zoé Martin",
        "zoe.martin@example.fr",
        "La médiathèque rouvre ses portes",
        "le toit de la médiathèque fuit",
    ] {
        assert!(page.body.contains(shown), "{shown}");
    }
    assert!(page
        .body
        .contains("Cette réponse part par e-mail au lecteur"));
    // Each e-mail is named in words, never by its stored purpose.
    assert!(page.body.contains("équipe</strong>") || page.body.contains("équipe\u{202f}:"));
    assert!(!page.body.contains("team_notification"));
    // The status form offers the current status and the moves the workflow allows: from
    // `new`, `open` and `spam` (the composer, whose reply opens it first, offers more).
    let form = &page.body[page.body.find("<select id=\"status\"").unwrap()..];
    let form = &form[..form.find("</select>").unwrap()];
    assert!(form.contains("<option value=\"new\" selected>"));
    assert!(form.contains("<option value=\"open\">"));
    assert!(!form.contains("<option value=\"resolved\">"));

    let version = page.hidden("version").unwrap();
    let moved = browser
        .post(
            &action("status"),
            &[
                ("csrf", &page.csrf()),
                ("version", &version),
                ("status", "open"),
            ],
        )
        .await;
    assert_eq!(moved.status, 303);
    assert_eq!(moved.location(), format!("{page_path}?done=status"));
    assert!(browser
        .get(moved.location())
        .await
        .body
        .contains("Modification enregistrée."));
    assert_eq!(
        api_detail(&app, &editor, &reference).await["status"],
        "open"
    );

    let page = browser.get(&page_path).await;
    let v = page.hidden("version").unwrap();
    let assigned = browser
        .post(
            &action("assign"),
            &[("csrf", &page.csrf()), ("version", &v), ("assignee", "me")],
        )
        .await;
    assert_eq!(assigned.status, 303);
    assert_eq!(
        api_detail(&app, &editor, &reference).await["assignee_id"],
        editor.id.as_str()
    );

    let page = browser.get(&page_path).await;
    let v = page.hidden("version").unwrap();
    let urgent = browser
        .post(
            &action("priority"),
            &[
                ("csrf", &page.csrf()),
                ("version", &v),
                ("priority", "urgent"),
            ],
        )
        .await;
    assert_eq!(urgent.status, 303);
    assert_eq!(
        api_detail(&app, &editor, &reference).await["priority"],
        "urgent"
    );

    let noted = browser
        .submit(
            &page_path,
            &action("notes"),
            &[("body", "Appeler la mairie")],
        )
        .await;
    assert_eq!(noted.location(), format!("{page_path}?done=notes"));
    let detail = api_detail(&app, &editor, &reference).await;
    assert_eq!(detail["notes"][0]["body"], "Appeler la mairie");

    let replied = browser
        .submit(
            &page_path,
            &action("replies"),
            &[("subject", ""), ("body", "Merci, nous enquêtons.")],
        )
        .await;
    assert_eq!(replied.location(), format!("{page_path}?done=replies"));
    let detail = api_detail(&app, &editor, &reference).await;
    assert_eq!(detail["replies"][0]["body"], "Merci, nous enquêtons.");
    assert!(app.outbox().iter().any(|m| m.purpose == "staff_reply"));
    let page = browser.get(&page_path).await;
    assert!(
        page.body.contains("Appeler la mairie") && page.body.contains("Merci, nous enquêtons.")
    );
    assert!(page.body.contains("Réponse au lecteur\u{202f}:"));
}

async fn a_refused_action_shows_the_page_again_with_the_error_by_its_field(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    let page_path = format!("/staff/submissions/{reference}");

    let page = browser.get(&page_path).await;
    let v = page.hidden("version").unwrap();
    let skipped = browser
        .post(
            &format!("{page_path}/status"),
            &[
                ("csrf", &page.csrf()),
                ("version", &v),
                ("status", "resolved"),
            ],
        )
        .await;
    assert_eq!(skipped.status, 422);
    assert!(skipped
        .body
        .contains("id=\"status-error\">Ce changement de statut n’est pas permis."));
    assert_eq!(api_detail(&app, &editor, &reference).await["status"], "new");

    let empty = browser
        .submit(
            &page_path,
            &format!("{page_path}/notes"),
            &[("body", "   ")],
        )
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty
        .body
        .contains("id=\"note-error\">Ce champ est obligatoire."));
    let long_subject = "s".repeat(201);
    let reply = browser
        .submit(
            &page_path,
            &format!("{page_path}/replies"),
            &[("subject", &long_subject), ("body", "Réponse gardée")],
        )
        .await;
    assert_eq!(reply.status, 422);
    assert!(reply.body.contains("id=\"subject-error\""));
    // What was typed comes back.
    assert!(reply.body.contains(">Réponse gardée</textarea>"));
    assert_eq!(app.count("notes"), 0);
    assert!(!app.outbox().iter().any(|m| m.purpose == "staff_reply"));
    let bad_assignee = browser
        .submit(
            &page_path,
            &format!("{page_path}/assign"),
            &[("assignee", "no-such-account")],
        )
        .await;
    assert_eq!(bad_assignee.status, 422);
    assert!(bad_assignee.body.contains("id=\"assignee-error\""));
}

async fn a_conflicting_edit_is_refused_and_shows_what_changed(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let alice = app.staff("editor").await;
    let bob = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    let page_path = format!("/staff/submissions/{reference}");
    let (first, second) = (Browser::new(&app), Browser::new(&app));
    first.sign_in(&alice).await;
    second.sign_in(&bob).await;
    let seen_by_second = second.get(&page_path).await;

    first
        .submit(
            &page_path,
            &format!("{page_path}/status"),
            &[("status", "open")],
        )
        .await;
    let stale = second
        .post(
            &format!("{page_path}/status"),
            &[
                ("csrf", &seen_by_second.csrf()),
                ("version", &seen_by_second.hidden("version").unwrap()),
                ("seen", &seen_by_second.hidden("seen").unwrap()),
                ("status", "spam"),
            ],
        )
        .await;
    // The same field changed since the page was drawn (other fields would merge).
    assert_eq!(stale.status, 409);
    assert!(stale.body.contains("Quelqu’un a modifié ce message"));
    assert!(
        stale
            .body
            .contains("<li>Statut\u{202f}: nouveau → ouvert (Test editor, "),
        "{}",
        stale.body
    );
    assert_eq!(api_detail(&app, &alice, &reference).await["status"], "open");
}

async fn forms_without_the_session_or_its_token_change_nothing(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    let page_path = format!("/staff/submissions/{reference}");
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    let version = browser.get(&page_path).await.hidden("version").unwrap();
    let before = api_detail(&app, &editor, &reference).await;
    let outbox = app.outbox().len();
    let posts: [(&str, &str, &str); 5] = [
        ("status", "status", "spam"),
        ("assign", "assignee", "me"),
        ("priority", "priority", "urgent"),
        ("notes", "body", "forged note"),
        ("replies", "body", "forged reply"),
    ];
    let stranger = Browser::new(&app);
    for (act, field, value) in posts {
        let path = format!("{page_path}/{act}");
        // A cross-site post: no cookie at all.
        let anonymous = stranger
            .post(
                &path,
                &[("csrf", "x"), ("version", &version), (field, value)],
            )
            .await;
        assert_eq!(anonymous.status, 303, "{act}");
        assert_eq!(anonymous.location(), "/staff/login", "{act}");
        // Signed in, but the token is missing or wrong.
        for token in [None, Some("0123456789abcdef0123456789abcdef")] {
            let mut fields = vec![("version", version.as_str()), (field, value)];
            if let Some(t) = token {
                fields.push(("csrf", t));
            }
            let refused = browser.post(&path, &fields).await;
            assert_eq!(refused.status, 403, "{act}");
        }
    }
    let after = api_detail(&app, &editor, &reference).await;
    assert_eq!(after["version"], before["version"]);
    assert_eq!(after["status"], "new");
    assert_eq!(after["notes"].as_array().unwrap().len(), 0);
    assert_eq!(after["replies"].as_array().unwrap().len(), 0);
    assert_eq!(app.outbox().len(), outbox);
}

/// Issue 21, finding 15: a form posted from another site, by its `Origin` or `Sec-Fetch-Site`,
/// changes nothing, even with the session's cookie and token; from this site it does.
async fn a_form_posted_from_another_site_changes_nothing(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    let page_path = format!("/staff/submissions/{reference}");
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    let page = browser.get(&page_path).await;
    let (csrf, version) = (page.csrf(), page.hidden("version").unwrap());
    let form = [
        ("csrf", csrf.as_str()),
        ("version", version.as_str()),
        ("status", "open"),
    ];
    let path = format!("{page_path}/status");
    for headers in [
        [("origin", "http://evil.example")],
        [("origin", "null")],
        [("sec-fetch-site", "cross-site")],
        [("sec-fetch-site", "same-site")],
    ] {
        let refused = browser.post_with(&path, &form, &headers).await;
        assert_eq!(refused.status, 403, "{headers:?}");
        let out = browser
            .post_with("/staff/logout", &[("csrf", &csrf)], &headers)
            .await;
        assert_eq!(out.status, 403, "{headers:?}");
    }
    assert_eq!(api_detail(&app, &editor, &reference).await["status"], "new");
    let own = [
        ("origin", app.address.as_str()),
        ("sec-fetch-site", "same-origin"),
    ];
    let done = browser.post_with(&path, &form, &own).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        api_detail(&app, &editor, &reference).await["status"],
        "open"
    );
}

/// Issue 21: the submission page's status, assignee, priority and hold forms always carry the
/// version they were drawn from; one posted without it is malformed (400) and changes nothing,
/// rather than overwriting whatever changed since unchecked.
async fn a_form_without_its_version_is_refused_and_changes_nothing(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    let page_path = format!("/staff/submissions/{reference}");
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    let before = api_detail(&app, &editor, &reference).await;
    for (act, field, value) in [
        ("status", "status", "open"),
        ("assign", "assignee", "me"),
        ("priority", "priority", "urgent"),
        ("hold", "legal_hold", "on"),
    ] {
        for version in [None, Some(""), Some("two")] {
            let csrf = browser.get(&page_path).await.csrf();
            let mut fields = vec![("csrf", csrf.as_str()), (field, value)];
            if let Some(v) = version {
                fields.push(("version", v));
            }
            let refused = browser.post(&format!("{page_path}/{act}"), &fields).await;
            assert_eq!(refused.status, 400, "{act} {version:?}: {}", refused.body);
            assert!(refused.body.contains("<html"), "a page: {}", refused.body);
        }
    }
    let after = api_detail(&app, &editor, &reference).await;
    assert_eq!(after["version"], before["version"]);
    assert_eq!(after["status"], "new");
    assert_eq!(after["priority"], before["priority"]);
    assert_eq!(after["assignee_id"], before["assignee_id"]);
    assert_eq!(after["legal_hold"], false);
}

crate::on_both_backends!(
    a_form_without_its_version_is_refused_and_changes_nothing,
    a_form_posted_from_another_site_changes_nothing,
    each_action_form_changes_what_the_api_shows,
    a_refused_action_shows_the_page_again_with_the_error_by_its_field,
    a_conflicting_edit_is_refused_and_shows_what_changed,
    forms_without_the_session_or_its_token_change_nothing,
);
