//! Sign-in under attack: hostile addresses, a password change racing sign-ins, locks per
//! client and the account-wide ceiling, a hashing flood, and the idle timeout's bookkeeping.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::prelude::*;
use serde_json::{json, Value};

use crate::helpers::{
    eventually, free_port, spawn_app, spawn_app_with, Backend, TestApp, TestDb, PASSWORD,
};

/// A sign-in as if from `ip`, through a trusted proxy (the tests' apps trust loopback).
async fn login_from(app: &TestApp, ip: &str, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/auth/login"))
        .header("x-forwarded-for", ip)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

/// An app behind a trusted proxy on loopback, so that each test can pose as many clients.
async fn behind_proxy(b: Backend, tweak: impl FnOnce(&mut courrier::config::Settings)) -> TestApp {
    spawn_app_with(Arc::new(TestDb::new(b)), free_port(), |s| {
        s.http.trusted_proxies = vec!["127.0.0.1".into()];
        tweak(s);
    })
    .await
}

fn count_where(app: &TestApp, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    app.with_conn(|c| {
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {sql}"))
            .get_result::<Count>(c)
            .unwrap()
            .n
    })
}

async fn oversized_or_malformed_addresses_are_refused_without_a_trace(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let editor = app.staff("editor").await;
    let wrong = app.try_login(&editor.email, "not the right password").await;
    assert_eq!(wrong.status(), 401);
    let expected: Value = wrong.json().await.unwrap();
    for typed in [
        format!("{}@journal.example", "a".repeat(4_000)),
        format!("{}@journal.example", "b".repeat(250)),
        "not an address".into(),
        "two@@journal.example".into(),
        String::new(),
    ] {
        let resp = app.try_login(&typed, "not the right password").await;
        assert_eq!(resp.status(), 401, "{} characters", typed.len());
        assert_eq!(resp.json::<Value>().await.unwrap(), expected);
    }
    assert_eq!(
        app.count("login_throttle"),
        1,
        "only the real address counts"
    );
    // The throttle knows an address whatever its case.
    let upper = editor.email.to_uppercase();
    let spaced = format!(" {} ", editor.email);
    for typed in [&upper, &editor.email, &spaced, &upper] {
        app.try_login(typed, "not the right password").await;
    }
    assert_eq!(app.try_login(&upper, PASSWORD).await.status(), 429);
}

async fn expired_throttle_rows_are_purged(b: Backend) {
    let db = Arc::new(TestDb::new(b));
    let app = spawn_app_with(db.clone(), free_port(), |_| {}).await;
    for email in ["old@journal.example", "fresh@journal.example"] {
        assert_eq!(app.try_login(email, "a wrong password").await.status(), 401);
    }
    app.with_conn(|c| {
        use courrier::db::schema::login_throttle::dsl::*;
        diesel::update(login_throttle.filter(email.eq("old@journal.example")))
            .set(updated_at.eq(courrier::db::now() - chrono::Duration::hours(2)))
            .execute(c)
            .unwrap();
    });
    // Another instance sweeps as it starts, then every minute.
    let _other = spawn_app_with(db.clone(), free_port(), |_| {}).await;
    eventually("the expired row is purged", Duration::from_secs(10), || {
        count_where(&app, "login_throttle WHERE email = 'old@journal.example'") == 0
    })
    .await;
    assert_eq!(app.count("login_throttle"), 1, "the fresh row stays");
}

async fn a_password_change_ends_sign_ins_already_under_way(b: Backend) {
    let app = Arc::new(behind_proxy(b, |_| {}).await);
    let admin = app.staff("admin").await;
    let who = app.staff("editor").await;
    let mut password = PASSWORD.to_owned();
    for round in 0..3 {
        let changed = Arc::new(AtomicBool::new(false));
        let tokens = Arc::new(Mutex::new(Vec::<String>::new()));
        // Each signer from its own client, so that its failures after the change lock no one else.
        let signers: Vec<_> = (0..4)
            .map(|n| {
                let ip = format!("198.51.100.{}", round * 4 + n);
                let (app, changed, tokens) = (app.clone(), changed.clone(), tokens.clone());
                let (email, password) = (who.email.clone(), password.clone());
                tokio::spawn(async move {
                    loop {
                        let resp = login_from(&app, &ip, &email, &password).await;
                        if resp.status() == 200 {
                            let body: Value = resp.json().await.unwrap();
                            let token = body["token"].as_str().unwrap().to_owned();
                            tokens.lock().unwrap().push(token);
                        } else if changed.load(Ordering::SeqCst) {
                            return;
                        }
                    }
                })
            })
            .collect();
        eventually("sign-ins under way", Duration::from_secs(20), || {
            tokens.lock().unwrap().len() >= 4
        })
        .await;
        let fresh = format!("a fresh password, round {round}");
        let change = app
            .patch_as(&admin, &format!("/v1/users/{}", who.id))
            .json(&json!({"password": fresh}));
        assert_eq!(change.send().await.unwrap().status(), 200);
        changed.store(true, Ordering::SeqCst);
        for s in signers {
            s.await.unwrap();
        }
        let tokens = tokens.lock().unwrap().clone();
        for token in &tokens {
            let me = app
                .client
                .get(app.url("/v1/auth/me"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(
                me.status(),
                401,
                "round {round}: an old password's token works"
            );
        }
        let now = login_from(&app, "192.0.2.1", &who.email, &fresh).await;
        assert_eq!(now.status(), 200, "the new password works");
        password = fresh;
    }
}

async fn one_client_cannot_lock_others_out(b: Backend) {
    let app = behind_proxy(b, |_| {}).await;
    let editor = app.staff("editor").await;
    for email in [editor.email.as_str(), "ghost@journal.example"] {
        for _ in 0..5 {
            let resp = login_from(&app, "203.0.113.9", email, "a wrong password").await;
            assert_eq!(resp.status(), 401);
        }
        let locked = login_from(&app, "203.0.113.9", email, PASSWORD).await;
        assert_eq!(
            locked.status(),
            429,
            "{email}: the guessing client is locked"
        );
        assert!(locked.headers().contains_key("retry-after"));
    }
    let other = login_from(&app, "198.51.100.7", &editor.email, PASSWORD).await;
    assert_eq!(other.status(), 200, "another client still signs in");
    let ghost = login_from(&app, "198.51.100.7", "ghost@journal.example", PASSWORD).await;
    assert_eq!(ghost.status(), 401, "and an unknown address looks the same");
    // An IPv6 client is one /64.
    for n in 1..=5 {
        let ip = format!("2001:db8:1:2::{n}");
        login_from(&app, &ip, &editor.email, "a wrong password").await;
    }
    let same = login_from(&app, "2001:db8:1:2:ffff::1", &editor.email, PASSWORD).await;
    assert_eq!(same.status(), 429);
    let next = login_from(&app, "2001:db8:1:3::1", &editor.email, PASSWORD).await;
    assert_eq!(next.status(), 200);
    // Each lock on a real account is audited; the unknown address leaves no event.
    let audited = count_where(&app, "events WHERE kind = 'signin_locked'");
    assert_eq!(audited, 2, "the IPv4 client and the /64");
}

fn courrier_cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_courrier"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("COURRIER_ENV")
        .env("COURRIER__LOG__FILTER", "warn")
        .env("COURRIER__DATABASE__URL", &app.db.url)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

async fn the_account_ceiling_spares_clients_it_signed_in_from(b: Backend) {
    let app = behind_proxy(b, |_| {}).await;
    let editor = app.staff("editor").await;
    let home = login_from(&app, "192.0.2.10", &editor.email, PASSWORD).await;
    assert_eq!(home.status(), 200);
    // 100 failures (the default ceiling), each from its own client, so no client is locked.
    for batch in 0..10 {
        let tries = (0..10).map(|n| {
            let ip = format!("10.1.{batch}.{n}");
            let email = editor.email.clone();
            let app = &app;
            async move { login_from(app, &ip, &email, "a guessed password").await }
        });
        for resp in futures_util::future::join_all(tries).await {
            assert_eq!(resp.status(), 401);
        }
    }
    let stranger = login_from(&app, "10.9.9.9", &editor.email, PASSWORD).await;
    assert_eq!(
        stranger.status(),
        429,
        "a new client, even with the password"
    );
    let retry: u64 = stranger.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    let back_home = login_from(&app, "192.0.2.10", &editor.email, PASSWORD).await;
    assert_eq!(back_home.status(), 200, "a client it signed in from");
    assert_eq!(
        count_where(
            &app,
            "events WHERE kind = 'signin_locked' AND detail LIKE '%\"scope\":\"account\"%'"
        ),
        1
    );
    let list = String::from_utf8(courrier_cli(&app, &["user", "list"]).stdout).unwrap();
    let line = list.lines().find(|l| l.starts_with(&editor.email)).unwrap();
    assert!(line.contains("locked for new clients until"), "{line}");
    courrier_cli(
        &app,
        &["user", "unlock", "--email", &editor.email.to_uppercase()],
    );
    let list = String::from_utf8(courrier_cli(&app, &["user", "list"]).stdout).unwrap();
    assert!(!list.contains("locked"), "{list}");
    let stranger = login_from(&app, "10.9.9.9", &editor.email, PASSWORD).await;
    assert_eq!(stranger.status(), 200);
    assert_eq!(count_where(&app, "events WHERE kind = 'user_unlocked'"), 1);
}

async fn staff_at_a_known_client_sign_in_during_a_hashing_flood(b: Backend) {
    let app = Arc::new(
        behind_proxy(b, |s| {
            s.auth.max_concurrent_hashes = 1;
            s.database.pool_size = 16;
        })
        .await,
    );
    let editor = app.staff("editor").await;
    assert_eq!(
        login_from(&app, "192.0.2.10", &editor.email, PASSWORD)
            .await
            .status(),
        200
    );
    // More sign-ins at once than the hashing queue holds, each from a new client and address.
    let stop = Arc::new(AtomicBool::new(false));
    let busy = Arc::new(AtomicBool::new(false));
    let flood: Vec<_> = (0..96u32)
        .map(|task| {
            let (app, stop, busy) = (app.clone(), stop.clone(), busy.clone());
            tokio::spawn(async move {
                let mut n = 0u32;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    let ip = format!("10.{}.{}.{}", task, n / 250, n % 250);
                    let email = format!("stuffed{n}.{task}@mail.example");
                    let resp = login_from(&app, &ip, &email, "password123").await;
                    match resp.status().as_u16() {
                        503 => busy.store(true, Ordering::SeqCst),
                        401 => {}
                        other => panic!("flood answered {other}"),
                    }
                }
            })
        })
        .collect();
    eventually("the hashing queue is full", Duration::from_secs(30), || {
        busy.load(Ordering::SeqCst)
    })
    .await;
    let mut answers = Vec::new();
    for _ in 0..5 {
        let resp = login_from(&app, "192.0.2.10", &editor.email, PASSWORD).await;
        answers.push(resp.status().as_u16());
    }
    stop.store(true, Ordering::SeqCst);
    for f in flood {
        f.await.unwrap();
    }
    assert_eq!(
        answers, [200; 5],
        "staff at a known client during the flood"
    );
}

async fn a_session_in_use_is_refreshed_after_a_tenth_of_the_idle_timeout(b: Backend) {
    let app = spawn_app_with(Arc::new(TestDb::new(b)), free_port(), |s| {
        s.auth.idle_timeout_minutes = 5;
    })
    .await;
    let who = app.staff("editor").await;
    let seen = |ago: i64| {
        use courrier::db::schema::staff_sessions::dsl::*;
        let hash = courrier::desk::auth::token_hash(&who.token);
        app.with_conn(|c| {
            if ago > 0 {
                diesel::update(staff_sessions.filter(token_hash.eq(&hash)))
                    .set(last_seen_at.eq(courrier::db::now() - chrono::Duration::seconds(ago)))
                    .execute(c)
                    .unwrap();
            }
            let at: chrono::NaiveDateTime = staff_sessions
                .filter(token_hash.eq(&hash))
                .select(last_seen_at)
                .first(c)
                .unwrap();
            courrier::db::now() - at
        })
    };
    let me = || app.get_as(&who, "/v1/auth/me").send();
    // Used 20 s ago: under a tenth of 5 minutes, no write.
    seen(20);
    assert_eq!(me().await.unwrap().status(), 200);
    assert!(seen(0) >= chrono::Duration::seconds(20));
    // Used 40 s ago: over a tenth, so the use is recorded.
    seen(40);
    assert_eq!(me().await.unwrap().status(), 200);
    assert!(seen(0) < chrono::Duration::seconds(10), "{:?}", seen(0));
}

#[test]
fn idle_timeouts_under_five_minutes_are_refused() {
    let load = |key: &str, value: &str| {
        courrier::config::Settings::load(&courrier::config::Sources {
            environment: Some("test".into()),
            extra_file: None,
            config_dir: Some(std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")),
            env_vars: Some([(key.to_owned(), value.to_owned())].into_iter().collect()),
        })
        .map_err(|e| e.to_string())
    };
    let err = load("COURRIER__AUTH__IDLE_TIMEOUT_MINUTES", "4").unwrap_err();
    assert!(
        err.contains("auth.idle_timeout_minutes: at least 5"),
        "{err}"
    );
    assert!(load("COURRIER__AUTH__IDLE_TIMEOUT_MINUTES", "5").is_ok());
    let err = load("COURRIER__AUTH__ACCOUNT_FAILURES_PER_HOUR", "0").unwrap_err();
    assert!(err.contains("auth.account_failures_per_hour"), "{err}");
}

crate::on_both_backends!(
    oversized_or_malformed_addresses_are_refused_without_a_trace,
    expired_throttle_rows_are_purged,
    a_password_change_ends_sign_ins_already_under_way,
    one_client_cannot_lock_others_out,
    the_account_ceiling_spares_clients_it_signed_in_from,
    staff_at_a_known_client_sign_in_during_a_hashing_flood,
    a_session_in_use_is_refreshed_after_a_tenth_of_the_idle_timeout,
);
