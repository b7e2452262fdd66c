//! Invitations: an account opened without a password is e-mailed a single-use link, valid 72
//! hours, to choose one; a used, expired or replaced link is refused; until the link is used
//! the account signs in by no password. And an admin cannot disable their own account.

use diesel::prelude::*;
use serde_json::json;

use crate::console::Browser;
use crate::helpers::{spawn_app, Answer, Backend, MailSink, ReceivedMail, SinkMode, TestApp};

const CHOSEN: &str = "a phrase of my own choosing";

/// The invitation link's path (`/staff/invitation/…`) in an e-mail, checked against the
/// configured public address.
pub fn link_in(mail: &ReceivedMail) -> String {
    let text = mail.body("text/plain");
    let start = text.find("/staff/invitation/").expect("an invitation link");
    let path: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    assert!(
        text.contains(&format!("http://127.0.0.1:8080{path}")),
        "{text}"
    );
    assert!(mail
        .body("text/html")
        .contains(&format!("href=\"http://127.0.0.1:8080{path}\"")));
    path
}

/// The invitation e-mails accepted so far.
pub fn invitations(sink: &MailSink) -> Vec<ReceivedMail> {
    sink.accepted()
        .into_iter()
        .filter(|m| String::from_utf8_lossy(&m.raw).contains("/staff/invitation/"))
        .collect()
}

/// Waits for the `n`th invitation e-mail.
pub async fn nth_invitation(sink: &MailSink, n: usize) -> ReceivedMail {
    crate::helpers::eventually(
        "the invitation e-mail",
        std::time::Duration::from_secs(15),
        || invitations(sink).len() >= n,
    )
    .await;
    invitations(sink)[n - 1].clone()
}

fn kinds(app: &TestApp) -> Vec<String> {
    use courrier::db::schema::events::dsl::*;
    app.with_conn(|c| events.select(kind).order(created_at.asc()).load(c).unwrap())
}

/// Chooses the password through the link, as the browser does.
pub async fn set_through(app: &TestApp, path: &str, password: &str) -> crate::console::Page {
    let browser = Browser::new(app);
    browser.post(path, &[("password", password)]).await
}

async fn a_password_less_account_is_invited_and_sets_its_password_once(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let admin = app.staff("admin").await;
    let resp = app
        .post_as(&admin, "/v1/users")
        .json(&json!({"email": "Nina@Journal.example", "name": "Nina", "role": "editor"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["email"], "nina@journal.example");
    assert_eq!(body["invitation_pending"], true);
    let expires =
        chrono::DateTime::parse_from_rfc3339(body["invitation_expires_at"].as_str().unwrap())
            .unwrap();
    let hours = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes();
    assert!((71 * 60..=72 * 60).contains(&hours), "{hours} minutes");

    // Queued through the outbox like every e-mail, to the account, and nothing else.
    let mail = nth_invitation(&sink, 1).await;
    assert_eq!(mail.to, vec!["nina@journal.example".to_owned()]);
    assert!(app.outbox().iter().any(|o| o.purpose == "invitation"));
    let path = link_in(&mail);
    let token = path.trim_start_matches("/staff/invitation/").to_owned();
    // Only the link's hash is stored.
    let stored: Vec<String> = app.with_conn(|c| {
        use courrier::db::schema::staff_invitations::dsl::*;
        staff_invitations.select(token_hash).load(c).unwrap()
    });
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);
    assert!(!stored[0].contains(&token));

    // No password signs it in while the invitation waits.
    assert_eq!(
        app.try_login("nina@journal.example", "any passphrase at all")
            .await
            .status(),
        401
    );

    let browser = Browser::new(&app);
    let form = browser.get(&path).await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("nina@journal.example"));
    assert!(form.body.contains("id=\"password-rules\""));
    assert!(form.body.contains("12"));
    // A post from another site sets nothing.
    let forged = browser
        .post_with(
            &path,
            &[("password", "a forged passphrase")],
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(forged.status, 403);
    let weak = set_through(&app, &path, "short").await;
    assert_eq!(weak.status, 422);
    assert!(weak.body.contains("id=\"password-error\""));
    let set = set_through(&app, &path, CHOSEN).await;
    assert_eq!(set.status, 303, "{}", set.body);
    assert_eq!(set.location(), "/staff/login?done=invited");
    assert_eq!(
        app.try_login("nina@journal.example", CHOSEN).await.status(),
        200
    );
    let nina = Browser::new(&app);
    assert_eq!(
        nina.sign_in_with("nina@journal.example", CHOSEN)
            .await
            .status,
        303
    );

    // A second use is refused, with a page that says so, and changes nothing.
    let again = browser.get(&path).await;
    assert_eq!(again.status, 410);
    assert!(again.body.contains("id=\"invitation-problem\""));
    assert!(again.body.contains("déjà servi"));
    let reused = set_through(&app, &path, "someone else's phrase").await;
    assert_eq!(reused.status, 410);
    assert_eq!(
        app.try_login("nina@journal.example", CHOSEN).await.status(),
        200
    );
    assert_eq!(
        app.try_login("nina@journal.example", "someone else's phrase")
            .await
            .status(),
        401
    );
    let kinds = kinds(&app);
    assert!(kinds.contains(&"invitation_sent".to_owned()), "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "password_set").count(), 1);
}

async fn an_account_opened_with_a_password_gets_no_invitation(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let admin = app.staff("admin").await;
    let body = app
        .post_as(&admin, "/v1/users")
        .json(
            &json!({"email": "omar@journal.example", "name": "Omar", "role": "sales",
            "password": CHOSEN}),
        )
        .json_ok()
        .await;
    assert_eq!(body["invitation_pending"], false);
    assert!(body["invitation_expires_at"].is_null());
    assert_eq!(
        app.try_login("omar@journal.example", CHOSEN).await.status(),
        200
    );
    assert_eq!(app.count("staff_invitations"), 0);
    assert!(app.outbox().iter().all(|o| o.purpose != "invitation"));

    // A bad field writes nothing: no account, no invitation, no e-mail.
    let users = app.count("staff_users");
    let bad = app
        .post_as(&admin, "/v1/users")
        .json(&json!({"email": "not an address", "name": "X", "role": "editor"}))
        .read_json()
        .await;
    assert_eq!(bad["fields"]["email"][0]["code"], "invalid_email", "{bad}");
    assert_eq!(app.count("staff_users"), users);
    assert_eq!(app.count("staff_invitations"), 0);
    assert_eq!(app.count("outbox"), 0);
    // Nor does an address already taken.
    let taken = app
        .post_as(&admin, "/v1/users")
        .json(&json!({"email": "OMAR@journal.example", "name": "Omar 2", "role": "editor"}))
        .status_code()
        .await;
    assert_eq!(taken, 409);
    assert_eq!(app.count("outbox"), 0);
}

async fn an_expired_link_is_refused(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let admin = app.staff("admin").await;
    app.post_as(&admin, "/v1/users")
        .json(&json!({"email": "pia@journal.example", "name": "Pia", "role": "editor"}))
        .json_ok()
        .await;
    let path = link_in(&nth_invitation(&sink, 1).await);
    app.with_conn(|c| {
        use courrier::db::schema::staff_invitations::dsl::*;
        let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1);
        diesel::update(staff_invitations)
            .set(expires_at.eq(past))
            .execute(c)
            .unwrap();
    });
    let page = Browser::new(&app).get(&path).await;
    assert_eq!(page.status, 410);
    assert!(page.body.contains("expiré"));
    let late = set_through(&app, &path, CHOSEN).await;
    assert_eq!(late.status, 410);
    assert_eq!(
        app.try_login("pia@journal.example", CHOSEN).await.status(),
        401
    );
    // A link that was never sent is refused as well.
    let unknown = Browser::new(&app)
        .get("/staff/invitation/nothing-of-ours")
        .await;
    assert_eq!(unknown.status, 404);
}

async fn a_new_invitation_replaces_the_old_link(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let admin = app.staff("admin").await;
    let editor = app.staff("editor").await;
    let created = app
        .post_as(&admin, "/v1/users")
        .json(&json!({"email": "quentin@journal.example", "name": "Quentin", "role": "editor"}))
        .json_ok()
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let first = link_in(&nth_invitation(&sink, 1).await);
    let invite = format!("/v1/users/{id}/invitation");
    assert_eq!(app.post_as(&editor, &invite).status_code().await, 403);
    assert_eq!(
        app.post_as(&admin, "/v1/users/no-such-account/invitation")
            .status_code()
            .await,
        404
    );
    let resp = app.post_as(&admin, &invite).send().await.unwrap();
    assert_eq!(resp.status(), 201);
    let sent: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(sent["user"]["id"], id.as_str());
    assert!(sent["expires_at"].is_string());
    let second = link_in(&nth_invitation(&sink, 2).await);
    assert_ne!(first, second);
    assert_eq!(app.count("staff_invitations"), 1);
    assert_eq!(Browser::new(&app).get(&first).await.status, 404);
    assert_eq!(set_through(&app, &first, CHOSEN).await.status, 404);
    assert_eq!(set_through(&app, &second, CHOSEN).await.status, 303);
    assert_eq!(
        app.try_login("quentin@journal.example", CHOSEN)
            .await
            .status(),
        200
    );

    // An account with a password, invited again, loses the password and its sessions until
    // it uses the new link.
    let reset = format!("/v1/users/{}/invitation", editor.id);
    assert_eq!(app.post_as(&admin, &reset).status_code().await, 201);
    assert_eq!(app.get_as(&editor, "/v1/auth/me").status_code().await, 401);
    assert_eq!(
        app.try_login(&editor.email, crate::helpers::PASSWORD)
            .await
            .status(),
        401
    );
    let link = link_in(&nth_invitation(&sink, 3).await);
    assert_eq!(set_through(&app, &link, CHOSEN).await.status, 303);
    assert_eq!(app.try_login(&editor.email, CHOSEN).await.status(), 200);

    // A disabled account gets none.
    let off = app
        .patch_as(&admin, &format!("/v1/users/{id}"))
        .json(&json!({"active": false}))
        .status_code()
        .await;
    assert_eq!(off, 200);
    let refused = app.post_as(&admin, &invite).read_json().await;
    assert_eq!(refused["error"], "account_disabled");
}

async fn an_admin_cannot_disable_their_own_account(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let admin = app.staff("admin").await;
    let other = app.staff("admin").await;
    let resp = app
        .patch_as(&admin, &format!("/v1/users/{}", admin.id))
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "cannot_disable_self");
    assert!(body["message"].as_str().unwrap().len() > 10);
    // Nothing changed: still signed in, still active.
    let me = app.get_as(&admin, "/v1/auth/me").json_ok().await;
    assert_eq!(me["id"], admin.id.as_str());
    // Another admin may.
    let off = app
        .patch_as(&other, &format!("/v1/users/{}", admin.id))
        .json(&json!({"active": false}))
        .json_ok()
        .await;
    assert_eq!(off["active"], false);
}

crate::on_both_backends!(
    a_password_less_account_is_invited_and_sets_its_password_once,
    an_account_opened_with_a_password_gets_no_invitation,
    an_expired_link_is_refused,
    a_new_invitation_replaces_the_old_link,
    an_admin_cannot_disable_their_own_account,
);
