//! The accounts page (admins only) and one's own account: creating, changing a role,
//! disabling, resetting a password (each ending the account's sessions), the language, and a
//! password change that needs the current one.

use super::Browser;
use crate::helpers::{spawn_app, Backend, MailSink, SinkMode, PASSWORD};

async fn only_admins_manage_accounts(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    let admin = app.staff("admin").await;
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    assert_eq!(browser.get("/staff/users").await.status, 403);
    let csrf = browser.get("/staff/").await.csrf();
    let users_before = app.count("staff_users");
    let create = browser
        .post(
            "/staff/users",
            &[
                ("csrf", &csrf),
                ("email", "x@journal.example"),
                ("name", "X"),
                ("role", "admin"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(create.status, 403);
    let promote = browser
        .post(
            &format!("/staff/users/{}/role", editor.id),
            &[("csrf", &csrf), ("role", "admin")],
        )
        .await;
    assert_eq!(promote.status, 403);
    assert_eq!(app.count("staff_users"), users_before);
    // The navigation offers the page to admins only.
    assert!(!browser
        .get("/staff/")
        .await
        .body
        .contains("href=\"/staff/users\""));
    let chief = Browser::new(&app);
    chief.sign_in(&admin).await;
    let page = chief.get("/staff/users").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&editor.email));
}

async fn an_admin_creates_changes_disables_and_resets_accounts(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let admin = app.staff("admin").await;
    let editor = app.staff("editor").await;
    let chief = Browser::new(&app);
    chief.sign_in(&admin).await;

    let invalid = chief
        .submit(
            "/staff/users",
            "/staff/users",
            &[
                ("email", "not an address"),
                ("name", "Léa"),
                ("role", "editor"),
            ],
        )
        .await;
    assert_eq!(invalid.status, 422);
    assert!(invalid.body.contains("id=\"new-email-error\""));
    assert!(invalid.body.contains("value=\"Léa\""));
    let created = chief
        .submit(
            "/staff/users",
            "/staff/users",
            &[
                ("email", "lea@journal.example"),
                ("name", "Léa"),
                ("role", "sales"),
            ],
        )
        .await;
    assert_eq!(created.location(), "/staff/users?done=invited");
    let taken = chief
        .submit(
            "/staff/users",
            "/staff/users",
            &[
                ("email", "LEA@journal.example"),
                ("name", "Léa 2"),
                ("role", "sales"),
            ],
        )
        .await;
    assert_eq!(taken.status, 422);
    let link = crate::invitations::link_in(&crate::invitations::nth_invitation(&sink, 1).await);
    assert_eq!(
        crate::invitations::set_through(&app, &link, PASSWORD)
            .await
            .status,
        303
    );
    let lea = Browser::new(&app);
    assert_eq!(
        lea.sign_in_with("lea@journal.example", PASSWORD)
            .await
            .status,
        303
    );

    // A role change ends the account's sessions.
    let reporter = Browser::new(&app);
    reporter.sign_in(&editor).await;
    let changed = chief
        .submit(
            "/staff/users",
            &format!("/staff/users/{}/role", editor.id),
            &[("role", "sales")],
        )
        .await;
    assert_eq!(changed.location(), "/staff/users?done=changed");
    assert_eq!(reporter.get("/staff/").await.status, 303);
    let users = app
        .get_as(&admin, "/v1/users")
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let row = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == editor.id.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["role"], "sales");

    // A password reset too, and the new password works.
    reporter.sign_in(&editor).await;
    let short = chief
        .submit(
            "/staff/users",
            &format!("/staff/users/{}/password", editor.id),
            &[("password", "short")],
        )
        .await;
    assert_eq!(short.status, 422);
    assert!(short
        .body
        .contains(&format!("id=\"password-{}-error\"", editor.id)));
    assert_eq!(reporter.get("/staff/").await.status, 200);
    chief
        .submit(
            "/staff/users",
            &format!("/staff/users/{}/password", editor.id),
            &[("password", "a brand new passphrase")],
        )
        .await;
    assert_eq!(reporter.get("/staff/").await.status, 303);
    assert_eq!(
        reporter
            .sign_in_with(&editor.email, "a brand new passphrase")
            .await
            .status,
        303
    );

    // Disabling (confirmed) ends the sessions and the account cannot sign in again.
    chief
        .submit(
            "/staff/users",
            &format!("/staff/users/{}/disable", editor.id),
            &[("confirm", "1")],
        )
        .await;
    assert_eq!(reporter.get("/staff/").await.status, 303);
    assert_eq!(
        reporter
            .sign_in_with(&editor.email, "a brand new passphrase")
            .await
            .status,
        401
    );
}

async fn the_account_page_sets_the_language_and_the_password(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    // French by default, whatever the browser prefers after it when it names no language of ours.
    assert!(browser
        .get("/staff/account")
        .await
        .body
        .contains("<html lang=\"fr\">"));
    let saved = browser
        .submit(
            "/staff/account",
            "/staff/account/language",
            &[("locale", "en")],
        )
        .await;
    assert_eq!(saved.location(), "/staff/account?done=language");
    let page = browser.get("/staff/").await;
    assert!(page.body.contains("<html lang=\"en\">"));
    assert!(page.body.contains("Inbox"));
    let bad = browser
        .submit(
            "/staff/account",
            "/staff/account/language",
            &[("locale", "de")],
        )
        .await;
    assert_eq!(bad.status, 422);
    // Back to the browser's language.
    browser
        .submit(
            "/staff/account",
            "/staff/account/language",
            &[("locale", "")],
        )
        .await;
    assert!(browser
        .get("/staff/")
        .await
        .body
        .contains("<html lang=\"fr\">"));

    let wrong = browser
        .submit(
            "/staff/account",
            "/staff/account/password",
            &[
                ("current_password", "not my password"),
                ("password", "another long passphrase"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("id=\"current-error\""));
    assert_eq!(browser.get("/staff/").await.status, 200);
    let changed = browser
        .submit(
            "/staff/account",
            "/staff/account/password",
            &[
                ("current_password", PASSWORD),
                ("password", "another long passphrase"),
            ],
        )
        .await;
    assert_eq!(changed.location(), "/staff/login?done=password");
    assert_eq!(browser.get("/staff/").await.status, 303);
    assert_eq!(
        browser
            .sign_in_with(&editor.email, "another long passphrase")
            .await
            .status,
        303
    );
}

crate::on_both_backends!(
    only_admins_manage_accounts,
    an_admin_creates_changes_disables_and_resets_accounts,
    the_account_page_sets_the_language_and_the_password,
);
