//! The accounts page's invitations and confirmations: a new account defaults to a role without
//! admin rights and keeps what was typed after an error; the admin gives no password (the
//! account is invited); "Désactiver" asks first, and never applies to one's own account.

use super::Browser;
use crate::helpers::{spawn_app, Answer, Backend, MailSink, SinkMode};
use crate::invitations::{link_in, nth_invitation, set_through};

/// The `<option>` of the new-account form that is chosen.
fn chosen_role(body: &str) -> String {
    let form = &body[body.find("id=\"new-role\"").expect("the role select")..];
    let form = &form[..form.find("</select>").unwrap()];
    let at = form.find(" selected").expect("a chosen role");
    let value = &form[..at];
    let value = &value[value.rfind("value=\"").unwrap() + 7..];
    value.trim_end_matches('"').to_owned()
}

async fn a_new_account_defaults_to_editor_and_keeps_its_fields_after_an_error(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let admin = app.staff("admin").await;
    let chief = Browser::new(&app);
    chief.sign_in(&admin).await;
    let page = chief.get("/staff/users").await;
    assert_eq!(chosen_role(&page.body), "editor");
    // No password is asked of the admin: the account chooses its own.
    let form = &page.body[page.body.find("action=\"/staff/users\"").unwrap()..];
    assert!(!form.contains("name=\"password\""));
    assert!(form.contains("id=\"new-invite-note\""));

    let users = app.count("staff_users");
    let invalid = chief
        .submit(
            "/staff/users",
            "/staff/users",
            &[
                ("email", "not an address"),
                ("name", "Léa"),
                ("role", "sales"),
            ],
        )
        .await;
    assert_eq!(invalid.status, 422);
    assert!(invalid.body.contains("id=\"new-email-error\""));
    assert!(invalid.body.contains("value=\"Léa\""));
    assert!(invalid.body.contains("value=\"not an address\""));
    assert_eq!(chosen_role(&invalid.body), "sales");
    let taken = chief
        .submit(
            "/staff/users",
            "/staff/users",
            &[
                ("email", admin.email.as_str()),
                ("name", "Twin"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(taken.status, 422);
    assert_eq!(chosen_role(&taken.body), "admin");
    assert_eq!(app.count("staff_users"), users);
    assert_eq!(app.count("outbox"), 0);

    // A good form opens the account and e-mails the invitation; the link sets the password.
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
    let listed = chief.get("/staff/users?done=invited").await;
    assert!(listed.body.contains("invitation en attente"));
    assert!(listed.body.contains("Renvoyer l’invitation"));
    let first = link_in(&nth_invitation(&sink, 1).await);
    let lea = app
        .with_conn(|c| courrier::db::staff::user_by_email(c, "lea@journal.example"))
        .unwrap()
        .unwrap();
    assert_eq!(lea.role.as_str(), "sales");

    // "Renvoyer l'invitation" sends a new link that replaces the first.
    let resent = chief
        .submit(
            "/staff/users",
            &format!("/staff/users/{}/invite", lea.id),
            &[],
        )
        .await;
    assert_eq!(resent.location(), "/staff/users?done=invited");
    let second = link_in(&nth_invitation(&sink, 2).await);
    assert_eq!(
        set_through(&app, &first, "a phrase of my own").await.status,
        404
    );
    assert_eq!(
        set_through(&app, &second, "a phrase of my own")
            .await
            .status,
        303
    );
    let browser = Browser::new(&app);
    assert_eq!(
        browser
            .sign_in_with("lea@journal.example", "a phrase of my own")
            .await
            .status,
        303
    );
}

async fn disabling_asks_first_and_never_applies_to_oneself(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let admin = app.staff("admin").await;
    let editor = app.staff("editor").await;
    let chief = Browser::new(&app);
    chief.sign_in(&admin).await;
    let page = chief.get("/staff/users").await;
    assert!(page
        .body
        .contains(&format!("action=\"/staff/users/{}/disable\"", editor.id)));
    assert!(!page
        .body
        .contains(&format!("action=\"/staff/users/{}/disable\"", admin.id)));

    // The first post only asks.
    let asked = chief
        .submit(
            "/staff/users",
            &format!("/staff/users/{}/disable", editor.id),
            &[],
        )
        .await;
    assert_eq!(asked.status, 200);
    assert!(asked.body.contains(&editor.email));
    assert!(asked.body.contains("name=\"confirm\" value=\"1\""));
    assert!(asked.body.contains("href=\"/staff/users\""));
    assert_eq!(app.get_as(&editor, "/v1/auth/me").status_code().await, 200);
    // Confirmed, it disables.
    let csrf = asked.csrf();
    let done = chief
        .post(
            &format!("/staff/users/{}/disable", editor.id),
            &[("csrf", &csrf), ("confirm", "1")],
        )
        .await;
    assert_eq!(done.location(), "/staff/users?done=changed");
    assert_eq!(app.get_as(&editor, "/v1/auth/me").status_code().await, 401);

    // One's own account: a page that says why, asked or confirmed, and nothing changes.
    for fields in [vec![], vec![("confirm", "1")]] {
        let own = chief
            .submit(
                "/staff/users",
                &format!("/staff/users/{}/disable", admin.id),
                &fields,
            )
            .await;
        assert_eq!(own.status, 422);
        assert!(own.body.contains("id=\"users-problem\""));
        assert!(own.body.contains("propre compte"));
    }
    assert_eq!(chief.get("/staff/users").await.status, 200);
}

crate::on_both_backends!(
    a_new_account_defaults_to_editor_and_keeps_its_fields_after_an_error,
    disabling_asks_first_and_never_applies_to_oneself,
);
