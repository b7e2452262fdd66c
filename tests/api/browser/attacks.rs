//! Cross-site request forgery from a real page on another origin: a page served from
//! `localhost` (another site than `127.0.0.1`, so the strict cookie stays home) and one from
//! another port of `127.0.0.1` (the same site: the cookie goes, the form token does not), each
//! posting to every console form. Every post is refused and nothing changes.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Browser, Js};
use crate::console::api_detail;
use crate::helpers::{spawn_app, Backend, MailSink, SinkMode};

/// Serves one page to whoever asks, until the test ends.
async fn hostile_site(page: String) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let page = page.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    page.len()
                );
                let _ = conn.write_all(head.as_bytes()).await;
                let _ = conn.write_all(page.as_bytes()).await;
            });
        }
    });
    port
}

async fn forms_posted_from_another_origin_are_refused(js: Js) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(Backend::Sqlite, sink.port).await;
    let admin = app.staff("admin").await;
    let editor = app.staff("editor").await;
    let (reference, id) = app.submit("newsroom").await;
    let target = &app.address;
    let sub = format!("{target}/staff/submissions/{reference}");
    let forms = [
        ("status", format!("{sub}/status"), "status=spam&version=1"),
        ("assign", format!("{sub}/assign"), "assignee=me&version=1"),
        (
            "priority",
            format!("{sub}/priority"),
            "priority=urgent&version=1",
        ),
        ("notes", format!("{sub}/notes"), "body=forged"),
        ("replies", format!("{sub}/replies"), "body=forged"),
        (
            "bulk",
            format!("{target}/staff/bulk"),
            &*format!("ids={id}&action=spam").leak(),
        ),
        (
            "users",
            format!("{target}/staff/users"),
            "email=evil%40evil.example&name=Evil&role=admin&password=evil+passphrase+1",
        ),
        (
            "role",
            format!("{target}/staff/users/{}/role", editor.id),
            "role=admin",
        ),
        (
            "disable",
            format!("{target}/staff/users/{}/disable", editor.id),
            "confirm=1",
        ),
        (
            "password",
            format!("{target}/staff/users/{}/password", editor.id),
            "password=evil+passphrase+1",
        ),
        (
            "language",
            format!("{target}/staff/account/language"),
            "locale=en",
        ),
        (
            "own-password",
            format!("{target}/staff/account/password"),
            "current_password=x&password=evil+passphrase+1",
        ),
        ("logout", format!("{target}/staff/logout"), ""),
    ];
    let mut page = String::from("<!doctype html><html><body>");
    for (name, action, fields) in &forms {
        page.push_str(&format!(
            "<form id=\"{name}\" method=\"post\" action=\"{action}\">"
        ));
        for pair in fields.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap();
            let v = v.replace("%40", "@").replace('+', " ");
            page.push_str(&format!(
                "<input type=\"hidden\" name=\"{k}\" value=\"{v}\">"
            ));
        }
        page.push_str(
            "<input type=\"hidden\" name=\"csrf\" value=\"guessed\"><button>go</button></form>",
        );
    }
    page.push_str("</body></html>");
    let port = hostile_site(page).await;

    let b = Browser::open(&app, js).await;
    b.sign_in(&admin).await;
    let before = api_detail(&app, &admin, &reference).await;
    let users = app.count("staff_users");
    for (origin, expected) in [
        (format!("http://localhost:{port}"), "sign-in page"),
        (format!("http://127.0.0.1:{port}"), "refusal"),
    ] {
        for (name, _, _) in &forms {
            b.client.goto(&format!("{origin}/")).await.unwrap();
            b.submit(&format!("#{name} button")).await;
            let path = b.path().await;
            let text = b.text().await;
            if expected == "sign-in page" {
                // Cross-site: the strict cookie is not sent, so there is no session.
                assert!(
                    path.starts_with("/staff/login"),
                    "{name} from {origin}: {path}"
                );
            } else {
                assert!(
                    text.contains("rien n’a été fait"),
                    "{name} from {origin}: {text}"
                );
            }
        }
    }
    let after = api_detail(&app, &admin, &reference).await;
    assert_eq!(after["version"], before["version"]);
    assert_eq!(after["notes"].as_array().unwrap().len(), 0);
    assert_eq!(after["replies"].as_array().unwrap().len(), 0);
    assert_eq!(app.count("staff_users"), users);
    let accounts: serde_json::Value = app
        .get_as(&admin, "/v1/users")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let target = accounts["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == editor.id.as_str())
        .unwrap()
        .clone();
    assert_eq!(target["role"], "editor");
    assert_eq!(target["active"], true);
    // Neither password changed: both still sign in.
    assert_eq!(
        app.try_login(&editor.email, crate::helpers::PASSWORD)
            .await
            .status(),
        200
    );
    // Still signed in, with the same rights, in French: nothing changed.
    b.goto("/staff/users").await;
    let text = b.text().await;
    assert!(
        text.contains("Comptes") && text.contains(&editor.email),
        "{text}"
    );
    assert_eq!(b.path().await, "/staff/users");
}

crate::in_both_browsers!(forms_posted_from_another_origin_are_refused);
