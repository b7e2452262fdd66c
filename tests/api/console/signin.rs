//! Console sign-in: the double-submit token, wrong passwords, lockout, the cookie's attributes,
//! sign-out, expiry and revocation, and the cookie kept away from the JSON API.

use std::collections::HashMap;
use std::path::PathBuf;

use courrier::config::{Settings, Sources};
use diesel::prelude::*;

use super::Browser;
use crate::helpers::{spawn_app, Backend, MailSink, SinkMode, PASSWORD};

async fn signing_in_sets_a_strict_cookie_and_opens_the_inbox(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    let browser = Browser::new(&app);

    let form = browser.get("/staff/login").await;
    assert_eq!(form.status, 200);
    let pre = form.set_cookies().join("\n");
    assert!(pre.contains("courrier_signin="), "{pre}");
    assert!(
        pre.contains("Path=/staff/login; HttpOnly; SameSite=Strict"),
        "{pre}"
    );

    let signed = browser.sign_in(&editor).await;
    assert_eq!(signed.location(), "/staff/");
    let cookie = signed
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("courrier_staff="))
        .expect("a session cookie");
    assert!(
        cookie.contains("; Path=/staff; HttpOnly; SameSite=Strict"),
        "{cookie}"
    );
    // The test configuration serves plain HTTP: `auth.cookie_secure = false`.
    assert!(!cookie.contains("Secure"), "{cookie}");

    let inbox = browser.get("/staff/").await;
    assert_eq!(inbox.status, 200, "{}", inbox.body);
    let csp = inbox.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(inbox.headers["cache-control"], "no-store");
    assert!(!inbox.body.contains("<script>") && !inbox.body.contains("style="));
    assert!(inbox.body.contains("Test editor"));
}

async fn a_wrong_password_answers_401_and_opens_no_session(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    let sessions = app.count("staff_sessions");
    let browser = Browser::new(&app);
    let page = browser
        .sign_in_with(&editor.email, "not the password at all")
        .await;
    assert_eq!(page.status, 401);
    assert!(page
        .body
        .contains("Adresse e-mail ou mot de passe incorrect."));
    // What was typed stays, but never the password.
    assert!(page.body.contains(&editor.email));
    assert!(!page.body.contains("not the password at all"));
    assert!(browser.cookie("courrier_staff").is_none());
    assert_eq!(app.count("staff_sessions"), sessions);
}

async fn repeated_failures_lock_out_with_a_readable_wait(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    let mut browser = Browser::new(&app);
    browser.accept_language = "en";
    for _ in 0..5 {
        let page = browser
            .sign_in_with(&editor.email, "wrong password, again")
            .await;
        assert_eq!(page.status, 401);
    }
    let page = browser.sign_in_with(&editor.email, PASSWORD).await;
    assert_eq!(page.status, 429, "{}", page.body);
    assert!(page.headers.contains_key("retry-after"));
    // The wait left, in seconds: at most the 30 s lock.
    let start = page
        .body
        .find("Too many attempts. Try again in ")
        .expect("the wait")
        + 32;
    let wait: String = page.body[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    assert!((1..=30).contains(&wait.parse::<u32>().unwrap()), "{wait}");
    assert!(page.body[start + wait.len()..].starts_with(" s."));
    assert!(browser.cookie("courrier_staff").is_none());
}

async fn the_sign_in_form_needs_its_own_token(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    let sessions = app.count("staff_sessions");
    let browser = Browser::new(&app);
    // A post from another site: no cookie of ours, or a token that is not the cookie's.
    let forged = browser
        .post(
            "/staff/login",
            &[
                ("csrf", "forged"),
                ("email", &editor.email),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    browser.get("/staff/login").await;
    let mismatched = browser
        .post(
            "/staff/login",
            &[
                ("csrf", "x".repeat(43).as_str()),
                ("email", &editor.email),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(mismatched.status, 403);
    assert_eq!(app.count("staff_sessions"), sessions);
    assert!(browser.cookie("courrier_staff").is_none());
}

/// Issue 21, finding 15: a sibling domain can plant the pre-session cookie with a value of its
/// choosing; the form's token must be one only the server can derive from it. And a sign-in
/// posted from another site is refused, whatever it carries.
async fn a_planted_sign_in_cookie_or_a_post_from_elsewhere_opens_no_session(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    let sessions = app.count("staff_sessions");
    let browser = Browser::new(&app);
    let planted = "p".repeat(43);
    browser.set_cookie("courrier_signin", &planted);
    let post = |csrf: String, headers: Vec<(&'static str, String)>| {
        sign_in_post(&browser, &editor.email, csrf, headers)
    };
    let forged = post(planted.clone(), vec![]).await;
    assert_eq!(forged.status, 403, "a planted pair: {}", forged.body);
    assert_eq!(app.count("staff_sessions"), sessions);

    // The page's own token, in a post from another site.
    for headers in [
        vec![("origin", "http://evil.example".to_owned())],
        vec![("origin", "null".to_owned())],
        vec![("sec-fetch-site", "cross-site".to_owned())],
        vec![("sec-fetch-site", "same-site".to_owned())],
        vec![
            ("origin", app.address.clone()),
            ("sec-fetch-site", "same-site".to_owned()),
        ],
    ] {
        let form = browser.get("/staff/login").await;
        let page = post(form.csrf(), headers.clone()).await;
        assert_eq!(page.status, 403, "{headers:?}");
    }
    assert_eq!(app.count("staff_sessions"), sessions);
    assert!(browser.cookie("courrier_staff").is_none());

    // From its own page, said or not, it signs in.
    let form = browser.get("/staff/login").await;
    assert_ne!(form.csrf(), browser.cookie("courrier_signin").unwrap());
    let page = post(
        form.csrf(),
        vec![
            ("origin", app.address.clone()),
            ("sec-fetch-site", "same-origin".to_owned()),
        ],
    )
    .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(browser.cookie("courrier_staff").is_some());
}

async fn sign_in_post(
    browser: &Browser<'_>,
    email: &str,
    csrf: String,
    headers: Vec<(&'static str, String)>,
) -> super::Page {
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    browser
        .post_with(
            "/staff/login",
            &[("csrf", &csrf), ("email", email), ("password", PASSWORD)],
            &headers,
        )
        .await
}

async fn sign_in_returns_to_a_local_next_path_only(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    let browser = Browser::new(&app);
    let bounced = browser.get("/staff/account").await;
    assert_eq!(bounced.status, 303);
    assert_eq!(bounced.location(), "/staff/login?next=%2Fstaff%2Faccount");
    let form = browser.get(bounced.location()).await;
    assert_eq!(form.hidden("next").as_deref(), Some("/staff/account"));
    let page = browser
        .post(
            "/staff/login",
            &[
                ("csrf", &form.csrf()),
                ("email", &editor.email),
                ("password", PASSWORD),
                ("next", "/staff/account"),
            ],
        )
        .await;
    assert_eq!(page.location(), "/staff/account");

    let other = Browser::new(&app);
    let form = other.get("/staff/login").await;
    let page = other
        .post(
            "/staff/login",
            &[
                ("csrf", &form.csrf()),
                ("email", &editor.email),
                ("password", PASSWORD),
                ("next", "https://evil.example/staff/"),
            ],
        )
        .await;
    assert_eq!(page.location(), "/staff/");
}

async fn signing_out_ends_the_session_and_needs_the_token(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    let token = browser.cookie("courrier_staff").unwrap();

    let refused = browser.post("/staff/logout", &[("csrf", "wrong")]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(browser.get("/staff/").await.status, 200);

    let out = browser.submit("/staff/", "/staff/logout", &[]).await;
    assert_eq!(out.status, 303);
    assert_eq!(out.location(), "/staff/login?done=out");
    assert!(out
        .set_cookies()
        .iter()
        .any(|c| c.starts_with("courrier_staff=;") && c.contains("Max-Age=0")));
    // Even a browser that kept the cookie is signed out.
    browser.set_cookie("courrier_staff", &token);
    let after = browser.get("/staff/").await;
    assert_eq!(after.status, 303);
    assert!(after.location().starts_with("/staff/login"));
}

async fn an_expired_session_goes_back_to_the_sign_in_page(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    assert_eq!(browser.get("/staff/").await.status, 200);
    let past = courrier::db::now() - chrono::Duration::minutes(1);
    app.with_conn(|c| {
        use courrier::db::schema::staff_sessions::dsl::*;
        diesel::update(staff_sessions)
            .set(expires_at.eq(past))
            .execute(c)
            .unwrap();
    });
    let page = browser.get("/staff/submissions/ABC").await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location(),
        "/staff/login?next=%2Fstaff%2Fsubmissions%2FABC"
    );
}

async fn the_cookie_is_no_bearer_token_and_the_api_ignores_it(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    let token = browser.cookie("courrier_staff").unwrap();
    let me = app
        .client
        .get(app.url("/v1/auth/me"))
        .header("cookie", format!("courrier_staff={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401);
    // And the console reads no bearer token.
    let page = app
        .client
        .get(app.url("/staff/"))
        .bearer_auth(&editor.token)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303);
}

crate::on_both_backends!(
    signing_in_sets_a_strict_cookie_and_opens_the_inbox,
    a_wrong_password_answers_401_and_opens_no_session,
    repeated_failures_lock_out_with_a_readable_wait,
    the_sign_in_form_needs_its_own_token,
    a_planted_sign_in_cookie_or_a_post_from_elsewhere_opens_no_session,
    sign_in_returns_to_a_local_next_path_only,
    signing_out_ends_the_session_and_needs_the_token,
    an_expired_session_goes_back_to_the_sign_in_page,
    the_cookie_is_no_bearer_token_and_the_api_ignores_it,
);

#[test]
fn production_refuses_insecure_cookies_and_base_makes_them_secure() {
    let load = |env: &str, vars: &[(&str, &str)]| {
        Settings::load(&Sources {
            environment: Some(env.into()),
            config_dir: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")),
            env_vars: Some(
                vars.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<HashMap<_, _>>(),
            ),
            ..Sources::default()
        })
    };
    let err = load("production", &[("COURRIER__AUTH__COOKIE_SECURE", "false")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("auth.cookie_secure"), "{err}");
    let err = load("production", &[]).unwrap_err().to_string();
    assert!(!err.contains("auth.cookie_secure"), "{err}");
    assert!(!load("local", &[]).unwrap().auth.cookie_secure);
    assert!(!load("test", &[]).unwrap().auth.cookie_secure);
}
