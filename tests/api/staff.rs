//! The staff API: sign-in, sessions, lockout, permissions, triage, notes, replies, accounts.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;
use serde_json::{json, Value};

use crate::helpers::{
    eventually, free_port, spawn_app, spawn_app_with, spawn_app_without_worker, Answer, Backend,
    MailSink, SinkMode, TestDb, PASSWORD,
};

async fn sign_in_returns_a_strong_token_and_me_answers(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let admin = app.staff("admin").await;
    assert!(admin.token.len() >= 43, "at least 256 bits");
    let me = app.get_as(&admin, "/v1/auth/me").json_ok().await;
    assert_eq!(me["email"], admin.email);
    assert_eq!(me["role"], "admin");
    let resp = app.try_login(&admin.email.to_uppercase(), PASSWORD).await;
    assert_eq!(resp.status(), 200, "e-mail is case-insensitive");
    let body: Value = resp.json().await.unwrap();
    assert!(body["expires_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(body["idle_timeout_seconds"], 7200);
    // Only a hash of the token is stored.
    let stored: Vec<String> = app.with_conn(|c| {
        courrier::db::schema::staff_sessions::table
            .select(courrier::db::schema::staff_sessions::token_hash)
            .load(c)
            .unwrap()
    });
    assert!(!stored.contains(&admin.token));
    assert!(stored.contains(&courrier::desk::auth::token_hash(&admin.token)));
}

async fn an_account_is_found_whatever_the_case_or_form_of_its_domain(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let hasher = courrier::desk::auth::Hasher::new(1).unwrap();
    let user = courrier::desk::accounts::create(
        &app.pool,
        &hasher,
        courrier::desk::accounts::NewAccount {
            email: "Lea@Éditions.Example".into(),
            name: "Léa".into(),
            role: "editor".parse().unwrap(),
            password: PASSWORD.into(),
        },
        &courrier::desk::Caller::operator(),
    )
    .await
    .unwrap();
    assert_eq!(user.email, "lea@xn--ditions-9xa.example");
    for typed in [
        "lea@éditions.example",
        " LEA@ÉDITIONS.EXAMPLE ",
        "lea@xn--ditions-9xa.example",
    ] {
        let resp = app.try_login(typed, PASSWORD).await;
        assert_eq!(resp.status(), 200, "{typed}");
    }
}

async fn unknown_account_and_wrong_password_get_the_same_answer(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let editor = app.staff("editor").await;
    let wrong = app.try_login(&editor.email, "not the right password").await;
    let unknown = app
        .try_login("nobody@journal.example", "not the right password")
        .await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    let (a, b): (Value, Value) = (wrong.json().await.unwrap(), unknown.json().await.unwrap());
    assert_eq!(a, b);
    assert_eq!(a["error"], "invalid_credentials");
    let long = app.try_login(&editor.email, &"x".repeat(10_000)).await;
    assert_eq!(long.status(), 401);
}

async fn lockout_grows_and_looks_the_same_for_unknown_accounts(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let editor = app.staff("editor").await;
    for email in [editor.email.as_str(), "ghost@journal.example"] {
        for _ in 0..5 {
            assert_eq!(
                app.try_login(email, "wrong password here").await.status(),
                401
            );
        }
        let locked = app.try_login(email, PASSWORD).await;
        assert_eq!(
            locked.status(),
            429,
            "{email}: locked even with the right password"
        );
        let retry: u64 = locked.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=30).contains(&retry), "{retry}");
    }
    // After the lock expires, a further failure locks for twice as long.
    app.with_conn(|c| {
        use courrier::db::schema::login_throttle::dsl::*;
        diesel::update(login_throttle.filter(email.eq(&editor.email)))
            .set(locked_until.eq(courrier::db::now() - chrono::Duration::seconds(1)))
            .execute(c)
            .unwrap();
    });
    assert_eq!(
        app.try_login(&editor.email, "wrong again, sorry")
            .await
            .status(),
        401
    );
    let locked = app.try_login(&editor.email, PASSWORD).await;
    let retry: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((31..=60).contains(&retry), "doubled: {retry}");
}

async fn sign_in_is_limited_per_client_ip(b: Backend) {
    let app = spawn_app_with(Arc::new(TestDb::new(b)), free_port(), |s| {
        s.auth.login_per_ip_per_minute = 3;
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            app.try_login("a@journal.example", "whatever password")
                .await
                .status(),
            401
        );
    }
    let limited = app
        .try_login("b@journal.example", "whatever password")
        .await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
}

async fn dead_tokens_are_refused(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let who = app.staff("editor").await;
    assert_eq!(
        app.client.get(app.url("/v1/auth/me")).status_code().await,
        401,
        "no token"
    );
    let mut tampered = who.token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(
        app.client
            .get(app.url("/v1/auth/me"))
            .bearer_auth(&tampered)
            .status_code()
            .await,
        401
    );
    assert_eq!(
        app.client
            .get(app.url("/v1/auth/me"))
            .header("authorization", format!("Basic {}", who.token))
            .status_code()
            .await,
        401
    );

    use courrier::db::schema::staff_sessions::dsl::*;
    let expire = |col_past: &str, token: &str| {
        let past = courrier::db::now() - chrono::Duration::minutes(1);
        let idle_past = courrier::db::now() - chrono::Duration::hours(3);
        app.with_conn(|c| {
            let target =
                staff_sessions.filter(token_hash.eq(courrier::desk::auth::token_hash(token)));
            match col_past {
                "absolute" => diesel::update(target)
                    .set(expires_at.eq(past))
                    .execute(c)
                    .unwrap(),
                _ => diesel::update(target)
                    .set(last_seen_at.eq(idle_past))
                    .execute(c)
                    .unwrap(),
            };
        })
    };
    expire("idle", &who.token);
    assert_eq!(
        app.get_as(&who, "/v1/auth/me").status_code().await,
        401,
        "idle timeout"
    );
    let who = crate::helpers::Staff {
        token: app.login(&who.email, PASSWORD).await,
        ..who
    };
    expire("absolute", &who.token);
    assert_eq!(
        app.get_as(&who, "/v1/auth/me").status_code().await,
        401,
        "absolute timeout"
    );

    let who = crate::helpers::Staff {
        token: app.login(&who.email, PASSWORD).await,
        ..who
    };
    assert_eq!(app.get_as(&who, "/v1/auth/me").status_code().await, 200);
    assert_eq!(
        app.post_as(&who, "/v1/auth/logout").status_code().await,
        204
    );
    assert_eq!(
        app.get_as(&who, "/v1/auth/me").status_code().await,
        401,
        "revoked by logout"
    );
}

async fn account_changes_end_sessions(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let admin = app.staff("admin").await;
    for change in [
        json!({"role": "sales"}),
        json!({"active": false}),
        json!({"password": "a brand new password"}),
    ] {
        let who = app.staff("editor").await;
        let other = app.login(&who.email, PASSWORD).await;
        let resp = app
            .patch_as(&admin, &format!("/v1/users/{}", who.id))
            .json(&change)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{change}");
        assert_eq!(
            app.get_as(&who, "/v1/auth/me").status_code().await,
            401,
            "{change}"
        );
        assert_eq!(
            app.client
                .get(app.url("/v1/auth/me"))
                .bearer_auth(&other)
                .status_code()
                .await,
            401
        );
    }
    // A disabled account cannot sign in, and answers like a wrong password.
    let gone = app.staff("sales").await;
    app.patch_as(&admin, &format!("/v1/users/{}", gone.id))
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(app.try_login(&gone.email, PASSWORD).await.status(), 401);
    // Each account change is audited, before → after.
    let details: Vec<String> = app.with_conn(|c| {
        use courrier::db::schema::events::dsl::*;
        events
            .filter(kind.eq("user_changed"))
            .filter(actor.eq(&admin.id))
            .select(detail)
            .load(c)
            .unwrap()
    });
    assert!(
        details
            .iter()
            .any(|d| d.contains(r#""role":{"from":"editor","to":"sales"}"#)),
        "{details:?}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.contains(r#""active":{"from":true,"to":false}"#)),
        "{details:?}"
    );
    assert!(details
        .iter()
        .any(|d| d.contains(r#""password":"changed""#)));
    assert!(
        details.iter().all(|d| !d.contains("argon2")),
        "no hash in the audit log"
    );
    // A name change keeps sessions.
    let kept = app.staff("editor").await;
    app.patch_as(&admin, &format!("/v1/users/{}", kept.id))
        .json(&json!({"name": "Renamed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(app.get_as(&kept, "/v1/auth/me").status_code().await, 200);
}

async fn only_admins_manage_accounts(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let admin = app.staff("admin").await;
    for role in ["editor", "sales"] {
        let who = app.staff(role).await;
        assert_eq!(app.get_as(&who, "/v1/users").status_code().await, 403);
        let promote = app
            .patch_as(&who, &format!("/v1/users/{}", who.id))
            .json(&json!({"role": "admin"}));
        assert_eq!(
            promote.status_code().await,
            403,
            "{role} cannot make itself admin"
        );
        let create = app.post_as(&who, "/v1/users").json(&json!({"email": "x@journal.example", "name": "X", "role": "admin", "password": PASSWORD}));
        assert_eq!(create.status_code().await, 403);
        let me = app.get_as(&who, "/v1/auth/me").json_ok().await;
        assert_eq!(me["role"], role, "unchanged");
    }
    let users = app.get_as(&admin, "/v1/users").json_ok().await;
    assert_eq!(users["users"].as_array().unwrap().len(), 3);
    assert!(!users.to_string().contains("argon2"), "hashes never leave");
}

async fn admin_creates_accounts_with_checked_passwords(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let admin = app.staff("admin").await;
    let create = |email: &str, password: String| {
        app.post_as(&admin, "/v1/users")
            .json(&json!({"email": email, "name": "Léa Reporter", "role": "editor", "password": password}))
            .send()
    };
    let short = create("lea@journal.example", "x".repeat(11)).await.unwrap();
    assert_eq!(short.status(), 422);
    let body: Value = short.json().await.unwrap();
    assert_eq!(body["fields"]["password"][0]["code"], "password_too_short");
    let long = create("lea@journal.example", "x".repeat(129))
        .await
        .unwrap();
    assert_eq!(long.status(), 422);
    let ok = create("Lea@Journal.example", "x".repeat(128))
        .await
        .unwrap();
    assert_eq!(ok.status(), 201);
    let dup = create("LEA@journal.example", "y".repeat(20)).await.unwrap();
    assert_eq!(dup.status(), 409);
    let body: Value = dup.json().await.unwrap();
    assert_eq!(body["error"], "email_taken");
    let bad_role = app.post_as(&admin, "/v1/users").json(&json!({"email": "z@journal.example", "name": "Z", "role": "chief", "password": PASSWORD})).send().await.unwrap();
    assert_eq!(bad_role.status(), 400);
    assert_eq!(
        app.login("lea@journal.example", &"x".repeat(128))
            .await
            .len(),
        43
    );
}

async fn each_role_sees_only_its_desk(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let (tip_ref, tip_id) = app.submit("newsroom").await;
    let (lead_ref, lead_id) = app.submit("sales").await;
    let visible = |role: &str| match role {
        "admin" => vec![&tip_id, &lead_id],
        "editor" => vec![&tip_id],
        _ => vec![&lead_id],
    };
    for role in ["admin", "editor", "sales"] {
        let who = app.staff(role).await;
        let list = app.get_as(&who, "/v1/submissions").json_ok().await;
        let ids: HashSet<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        let expected: HashSet<&str> = visible(role).into_iter().map(String::as_str).collect();
        assert_eq!(ids, expected, "{role}");
        let queues = app.get_as(&who, "/v1/queues").json_ok().await;
        let names: Vec<&str> = queues["queues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names.len(),
            if role == "admin" { 2 } else { 1 },
            "{role}: {names:?}"
        );
        for (reference, id, queue) in [
            (&tip_ref, &tip_id, "editorial"),
            (&lead_ref, &lead_id, "commercial"),
        ] {
            let allowed = visible(role).contains(&id);
            let filtered = app
                .get_as(&who, &format!("/v1/submissions?queue={queue}"))
                .json_ok()
                .await;
            assert_eq!(
                filtered["items"].as_array().unwrap().len(),
                usize::from(allowed),
                "{role} {queue}"
            );
            for key in [id, reference] {
                let expected = if allowed { 200 } else { 404 };
                assert_eq!(
                    app.get_as(&who, &format!("/v1/submissions/{key}"))
                        .status_code()
                        .await,
                    expected,
                    "{role} GET {key}"
                );
                if !allowed {
                    let body = app
                        .get_as(&who, &format!("/v1/submissions/{key}"))
                        .send()
                        .await
                        .unwrap()
                        .text()
                        .await
                        .unwrap();
                    let missing = app
                        .get_as(&who, "/v1/submissions/ZZZZ-ZZZZ")
                        .send()
                        .await
                        .unwrap()
                        .text()
                        .await
                        .unwrap();
                    assert_eq!(body, missing, "IDOR: the same answer as for nothing");
                    assert!(!body.contains("Zoé") && !body.contains("Dupont"));
                    let writes = [
                        app.patch_as(&who, &format!("/v1/submissions/{key}"))
                            .json(&json!({"status": "open"})),
                        app.post_as(&who, &format!("/v1/submissions/{key}/notes"))
                            .json(&json!({"body": "x"})),
                        app.post_as(&who, &format!("/v1/submissions/{key}/replies"))
                            .json(&json!({"body": "x"})),
                    ];
                    for write in writes {
                        assert_eq!(write.status_code().await, 404, "{role} writes to {key}");
                    }
                }
            }
        }
    }
    assert_eq!(app.count("notes"), 0);
    assert_eq!(app.count("messages"), 0);
}

async fn every_status_move_is_checked(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let editor = app.staff("editor").await;
    let (_, id) = app.submit("newsroom").await;
    let statuses = ["new", "open", "waiting", "resolved", "spam"];
    let legal = [
        ("new", "open"),
        ("new", "spam"),
        ("open", "waiting"),
        ("open", "resolved"),
        ("open", "spam"),
        ("waiting", "open"),
        ("waiting", "resolved"),
        ("waiting", "spam"),
        ("resolved", "open"),
        ("resolved", "spam"),
        ("spam", "open"),
    ];
    let set_status = |to: &str| {
        let to = to.to_owned();
        app.with_conn(|c| {
            use courrier::db::schema::submissions::dsl::*;
            diesel::update(submissions.find(&id))
                .set(status.eq(to))
                .execute(c)
                .unwrap();
        })
    };
    for from in statuses {
        for to in statuses.iter().filter(|t| **t != from) {
            set_status(from);
            let resp = app
                .patch_as(&editor, &format!("/v1/submissions/{id}"))
                .json(&json!({"status": to}))
                .send()
                .await
                .unwrap();
            if legal.contains(&(from, to)) {
                assert_eq!(resp.status(), 200, "{from} → {to}");
                let body: Value = resp.json().await.unwrap();
                assert_eq!(body["status"], *to);
                assert_eq!(body["resolved_at"].is_null(), *to != "resolved");
            } else {
                assert_eq!(resp.status(), 409, "{from} → {to}");
                let body: Value = resp.json().await.unwrap();
                assert_eq!(body["error"], "illegal_transition");
                let allowed: Vec<&str> = legal
                    .iter()
                    .filter(|(f, _)| *f == from)
                    .map(|(_, t)| *t)
                    .collect();
                assert_eq!(body["allowed"], json!(allowed), "{from}");
            }
        }
    }
    // Every accepted change is in the audit log, with who, before and after.
    let record = app
        .get_as(&editor, &format!("/v1/submissions/{id}"))
        .json_ok()
        .await;
    let changes: Vec<&Value> = record["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "changed")
        .collect();
    assert_eq!(changes.len(), legal.len());
    assert!(changes
        .iter()
        .all(|e| e["actor"] == editor.id.as_str() && e["detail"]["field"] == "status"));
    assert_eq!(changes[0]["detail"]["from"], "new");
    assert_eq!(changes[0]["detail"]["to"], "open");
}

async fn concurrent_edits_do_not_overwrite_each_other(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let editor = app.staff("editor").await;
    let (_, id) = app.submit("newsroom").await;
    let path = format!("/v1/submissions/{id}");
    let resp = app.get_as(&editor, &path).send().await.unwrap();
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, "\"1\"");
    let a = app
        .patch_as(&editor, &path)
        .header("if-match", &etag)
        .json(&json!({"priority": "high"}))
        .send();
    let b2 = app
        .patch_as(&editor, &path)
        .header("if-match", &etag)
        .json(&json!({"priority": "low"}))
        .send();
    for bad in ["\"one\"", "\"99999999999\""] {
        let resp = app
            .patch_as(&editor, &path)
            .header("if-match", bad)
            .json(&json!({"priority": "high"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "If-Match: {bad}");
    }
    let (a, b2) = tokio::join!(a, b2);
    let mut codes = vec![a.unwrap().status().as_u16(), b2.unwrap().status().as_u16()];
    codes.sort();
    assert_eq!(codes, [200, 412], "exactly one wins");
    // With a version field instead: 409 with the current version, when the field it sets was
    // changed since (another field would merge).
    let stale = app
        .patch_as(&editor, &path)
        .json(&json!({"priority": "normal", "version": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 409);
    let body: Value = stale.json().await.unwrap();
    assert_eq!(body["error"], "version_conflict");
    assert_eq!(body["current_version"], 2);
    let fraction = app
        .patch_as(&editor, &path)
        .json(&json!({"status": "open", "version": 2.5}))
        .send()
        .await
        .unwrap();
    assert_eq!(fraction.status(), 400, "a version is an integer");
    // JSON Schema's integers include 2.0.
    let fresh = app
        .patch_as(&editor, &path)
        .json(&json!({"status": "open", "version": 2.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 200);
    assert_eq!(fresh.headers()["etag"], "\"3\"");
}

async fn assignees_and_queue_moves_respect_desks(b: Backend) {
    let app = spawn_app_with(Arc::new(TestDb::new(b)), free_port(), |s| {
        s.queues.insert(
            "readers-editor".into(),
            courrier::config::QueueSettings {
                label: "Médiatrice".into(),
                desk: courrier::domain::Desk::Editorial,
                notify: vec!["mediatrice@journal.example".into()],
                address: None,
            },
        );
    })
    .await;
    let admin = app.staff("admin").await;
    let editor = app.staff("editor").await;
    let other_editor = app.staff("editor").await;
    let sales = app.staff("sales").await;
    let (_, id) = app.submit("newsroom").await;
    let path = format!("/v1/submissions/{id}");
    let assign = |who: &crate::helpers::Staff, to: Value| {
        app.patch_as(who, &path)
            .json(&json!({"assignee": to}))
            .send()
    };
    let denied = assign(&editor, json!(sales.id)).await.unwrap();
    assert_eq!(
        denied.status(),
        422,
        "a sales account may not see an editorial submission"
    );
    assert_eq!(
        assign(&editor, json!("no-such-user"))
            .await
            .unwrap()
            .status(),
        422
    );
    assert_eq!(assign(&editor, json!("me")).await.unwrap().status(), 200);
    let mine = app
        .get_as(&editor, "/v1/submissions?assignee=me")
        .json_ok()
        .await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get_as(&editor, "/v1/submissions?assignee=none")
            .json_ok()
            .await["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        assign(&editor, json!(other_editor.id))
            .await
            .unwrap()
            .status(),
        200
    );
    // A disabled account cannot be given work.
    app.patch_as(&admin, &format!("/v1/users/{}", editor.id))
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        assign(&admin, json!(editor.id)).await.unwrap().status(),
        422
    );
    // A submission moves between its own desk's queues only: a tip never reaches sales,
    // whoever asks.
    let other = app.staff("editor").await;
    for who in [&other, &admin] {
        let cross = app
            .patch_as(who, &path)
            .json(&json!({"queue": "commercial"}));
        assert_eq!(cross.status_code().await, 403);
    }
    assert_eq!(app.get_as(&sales, &path).status_code().await, 404);
    let moved = app
        .patch_as(&other, &path)
        .json(&json!({"queue": "readers-editor"}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 200);
    let body: Value = moved.json().await.unwrap();
    assert_eq!(body["queue"], "readers-editor");
    assert_eq!(
        body["assignee_id"],
        other_editor.id.as_str(),
        "same desk: kept"
    );
    let nowhere = app
        .patch_as(&admin, &path)
        .json(&json!({"queue": "nowhere"}));
    assert_eq!(nowhere.status_code().await, 403);
    // A lead cannot be moved to the editorial desk either.
    let (_, lead) = app.submit("sales").await;
    let to_editorial = app
        .patch_as(&admin, &format!("/v1/submissions/{lead}"))
        .json(&json!({"queue": "editorial"}));
    assert_eq!(to_editorial.status_code().await, 403);
}

async fn notes_stay_internal(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app_without_worker(b, sink.port).await;
    let editor = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    assert_eq!(app.dispatch_all_pending().await, 2);
    let resp = app
        .post_as(&editor, &format!("/v1/submissions/{reference}/notes"))
        .json(&json!({"body": "Source à protéger : ne pas citer."}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let empty = app
        .post_as(&editor, &format!("/v1/submissions/{reference}/notes"))
        .json(&json!({"body": "  "}))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 422);
    let record = app
        .get_as(&editor, &format!("/v1/submissions/{reference}"))
        .json_ok()
        .await;
    assert_eq!(
        record["notes"][0]["body"],
        "Source à protéger : ne pas citer."
    );
    assert_eq!(record["notes"][0]["author_id"], editor.id.as_str());
    assert!(record["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "note_added"));
    assert_eq!(app.count("outbox"), 2, "no e-mail for a note");
    assert_eq!(app.dispatch_all_pending().await, 0, "nothing more to send");
    assert!(sink
        .all()
        .iter()
        .all(|m| !String::from_utf8_lossy(&m.raw).contains("protéger")));
}

async fn replies_are_threaded_under_the_acknowledgement(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app_with(Arc::new(TestDb::new(b)), sink.port, |s| {
        s.queues.get_mut("editorial").unwrap().address =
            Some("Rédaction <redaction@journal.example>".into());
    })
    .await;
    let editor = app.staff("editor").await;
    let (reference, id) = app.submit("newsroom").await;
    let first = sink.wait_for(2).await;
    let ack = first
        .iter()
        .find(|m| m.to == ["zoe.martin@example.fr"])
        .unwrap();
    let ack_id = ack.header("Message-ID").unwrap();
    let resp = app
        .post_as(&editor, &format!("/v1/submissions/{id}/replies"))
        .json(&json!({"body": "Bonjour,\n\nmerci, nous vérifions <tout>.\n\nLa rédaction"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let mails = sink.wait_for(3).await;
    let reply = mails
        .iter()
        .find(|m| m.header("In-Reply-To").is_some())
        .unwrap();
    assert_eq!(reply.to, ["zoe.martin@example.fr"]);
    assert_eq!(
        reply.from, "redaction@journal.example",
        "sent from the queue's address"
    );
    assert_eq!(reply.header("In-Reply-To").unwrap(), ack_id);
    assert_eq!(reply.header("References").unwrap(), ack_id);
    let subject = reply.header("Subject").unwrap();
    assert!(
        subject.starts_with("Re: [") && subject.contains(&reference),
        "{subject}"
    );
    assert!(reply.body("text/plain").contains("nous vérifions <tout>."));
    let html = reply.body("text/html");
    assert!(
        !html.contains("<tout>")
            && (html.contains("&#60;tout&#62;") || html.contains("&lt;tout&gt;")),
        "{html}"
    );
    eventually("reply delivered", Duration::from_secs(5), || {
        app.outbox().iter().all(|j| j.status == "sent")
    })
    .await;
    let record = app
        .get_as(&editor, &format!("/v1/submissions/{id}"))
        .json_ok()
        .await;
    assert_eq!(record["replies"].as_array().unwrap().len(), 1);
    assert_eq!(record["replies"][0]["delivery"], "sent");
    let first_response = record["first_response_at"].as_str().unwrap().to_owned();
    // A second reply keeps the first-response time.
    app.post_as(&editor, &format!("/v1/submissions/{id}/replies"))
        .json(&json!({"body": "Suite."}))
        .send()
        .await
        .unwrap();
    let record = app
        .get_as(&editor, &format!("/v1/submissions/{id}"))
        .json_ok()
        .await;
    assert_eq!(record["first_response_at"], first_response.as_str());
    assert_eq!(record["replies"].as_array().unwrap().len(), 2);
}

async fn filters_narrow_the_list(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let admin = app.staff("admin").await;
    let (tip_ref, tip) = app.submit("newsroom").await;
    let (_, lead) = app.submit("sales").await;
    let mut reply = crate::helpers::newsroom_body();
    reply["topic"] = json!("right_of_reply");
    reply["message"] = json!("Droit de réponse sur l'article ZEBRA-42");
    app.post_json("newsroom", &reply).await;
    // Make the right of reply overdue.
    app.with_conn(|c| {
        use courrier::db::schema::submissions::dsl::*;
        diesel::update(submissions.filter(topic.eq("right_of_reply")))
            .set(deadline_at.eq(courrier::db::now() - chrono::Duration::hours(1)))
            .execute(c)
            .unwrap();
    });
    app.patch_as(&admin, &format!("/v1/submissions/{tip}"))
        .json(&json!({"status": "open"}))
        .send()
        .await
        .unwrap();
    let count = |query: &'static str| {
        let req = app.get_as(&admin, &format!("/v1/submissions?{query}"));
        async move { req.json_ok().await["items"].as_array().unwrap().len() }
    };
    assert_eq!(count("").await, 3);
    assert_eq!(count("form=sales").await, 1);
    assert_eq!(count("queue=editorial").await, 2);
    assert_eq!(count("status=open").await, 1);
    assert_eq!(count("topic=right_of_reply").await, 1);
    assert_eq!(count("overdue=true").await, 1);
    assert_eq!(count("overdue=false").await, 2);
    assert_eq!(
        count("q=zebra-42").await,
        1,
        "case-insensitive, in the message"
    );
    assert_eq!(count("q=DUPONT").await, 1, "in the name");
    assert_eq!(count("q=agence.example").await, 1, "in the e-mail");
    assert_eq!(count("q=%25").await, 0, "LIKE wildcards are literal");
    let r = tip_ref.to_lowercase();
    let by_ref = app
        .get_as(&admin, &format!("/v1/submissions?q={r}"))
        .json_ok()
        .await;
    assert_eq!(by_ref["items"][0]["id"], tip.as_str());
    assert_eq!(count("from=2000-01-01").await, 3);
    assert_eq!(count("to=2000-01-01").await, 0);
    assert_eq!(count("from=2999-01-01T00:00:00Z").await, 0);
    let overdue = app
        .get_as(&admin, "/v1/submissions?overdue=true")
        .json_ok()
        .await;
    assert_eq!(overdue["items"][0]["overdue"], true);
    let queues = app.get_as(&admin, "/v1/queues").json_ok().await;
    let editorial = queues["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "editorial")
        .unwrap()
        .clone();
    assert_eq!(editorial["overdue"], 1);
    assert_eq!(editorial["counts"]["open"], 1);
    assert_eq!(editorial["counts"]["new"], 1);
    for bad in [
        "status=closed",
        "limit=0",
        "limit=101",
        "cursor=nonsense",
        "from=yesterday",
        "sort=oldest",
        "q=a%01b",
        "colour=red",
    ] {
        assert_eq!(
            app.get_as(&admin, &format!("/v1/submissions?{bad}"))
                .status_code()
                .await,
            400,
            "{bad}"
        );
    }
    let _ = lead;
}

async fn pages_have_no_duplicates_or_gaps_while_rows_arrive(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let admin = app.staff("admin").await;
    let mut before = HashSet::new();
    for _ in 0..23 {
        before.insert(app.submit("newsroom").await.1);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        // New submissions arrive while we page.
        app.submit("sales").await;
        let path = match &cursor {
            Some(c) => format!("/v1/submissions?limit=5&queue=editorial&cursor={c}"),
            None => "/v1/submissions?limit=5&queue=editorial".to_owned(),
        };
        let page = app.get_as(&admin, &path).json_ok().await;
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_owned()),
        );
        match page["next"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let unique: HashSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no duplicates");
    assert_eq!(unique, before, "no gaps");
    let created: Vec<String> = seen.clone();
    let mut sorted = created.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(created, sorted, "newest first");
}

async fn deadline_order_pages_most_urgent_first(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let editor = app.staff("editor").await;
    let mut body = crate::helpers::newsroom_body();
    body["topic"] = json!("right_of_reply");
    for _ in 0..7 {
        app.post_json("newsroom", &body).await;
    }
    app.submit("newsroom").await;
    // Spread the deadlines, two of them equal, in an order unrelated to creation.
    app.with_conn(|c| {
        use courrier::db::schema::submissions::dsl::*;
        let ids: Vec<String> = submissions
            .filter(deadline_at.is_not_null())
            .order(id.asc())
            .select(id)
            .load(c)
            .unwrap();
        for (i, sid) in ids.iter().enumerate() {
            let hours = [5, 1, 3, 3, 7, 2, 6][i];
            diesel::update(submissions.find(sid))
                .set(deadline_at.eq(courrier::db::now() + chrono::Duration::hours(hours)))
                .execute(c)
                .unwrap();
        }
    });
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/submissions?sort=deadline&limit=2&cursor={c}"),
            None => "/v1/submissions?sort=deadline&limit=2".to_owned(),
        };
        let page = app.get_as(&editor, &path).json_ok().await;
        for item in page["items"].as_array().unwrap() {
            seen.push((
                item["deadline_at"].as_str().unwrap().to_owned(),
                item["id"].as_str().unwrap().to_owned(),
            ));
        }
        match page["next"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7, "every submission with a deadline, once");
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "most urgent first");
    let newest = app
        .get_as(&editor, "/v1/submissions?limit=2")
        .json_ok()
        .await;
    let cursor = newest["next"].as_str().unwrap();
    assert_eq!(
        app.get_as(
            &editor,
            &format!("/v1/submissions?sort=deadline&cursor={cursor}")
        )
        .status_code()
        .await,
        400,
        "a cursor belongs to its sort"
    );
}

async fn control_characters_in_staff_input_are_refused_cleanly(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let admin = app.staff("admin").await;
    let nul = app.try_login("admin\u{0}@journal.example", PASSWORD).await;
    assert_eq!(nul.status(), 401);
    assert_eq!(
        app.get_as(&admin, "/v1/submissions/%00")
            .status_code()
            .await,
        404
    );
    assert_eq!(
        app.get_as(&admin, "/v1/submissions?q=%00")
            .status_code()
            .await,
        400
    );
    assert_eq!(
        app.get_as(&admin, "/v1/submissions?assignee=%00")
            .status_code()
            .await,
        400
    );
    let user = app
        .patch_as(&admin, "/v1/users/%00")
        .json(&json!({"name": "x"}));
    assert_eq!(user.status_code().await, 404);
    let (_, id) = app.submit("newsroom").await;
    let assign = app
        .patch_as(&admin, &format!("/v1/submissions/{id}"))
        .json(&json!({"assignee": "a\u{0}b"}));
    assert_eq!(assign.status_code().await, 422);
}

async fn lockouts_end_with_a_new_password_or_with_time(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let admin = app.staff("admin").await;
    let who = app.staff("editor").await;
    for _ in 0..5 {
        app.try_login(&who.email, "wrong password again").await;
    }
    assert_eq!(app.try_login(&who.email, PASSWORD).await.status(), 429);
    let reset = app
        .patch_as(&admin, &format!("/v1/users/{}", who.id))
        .json(&json!({"password": "a fresh new password"}));
    assert_eq!(reset.status_code().await, 200);
    assert_eq!(
        app.try_login(&who.email, "a fresh new password")
            .await
            .status(),
        200
    );
    // Old failures are forgotten: four now plus four long ago do not lock.
    for _ in 0..4 {
        app.try_login(&who.email, "wrong password again").await;
    }
    app.with_conn(|c| {
        use courrier::db::schema::login_throttle::dsl::*;
        diesel::update(login_throttle.filter(email.eq(&who.email)))
            .set(updated_at.eq(courrier::db::now() - chrono::Duration::days(1)))
            .execute(c)
            .unwrap();
    });
    for _ in 0..4 {
        app.try_login(&who.email, "wrong password again").await;
    }
    assert_eq!(
        app.try_login(&who.email, "a fresh new password")
            .await
            .status(),
        200
    );
}

async fn concurrent_failed_sign_ins_all_count(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let who = app.staff("editor").await;
    let attempts = (0..8).map(|_| app.try_login(&who.email, "wrong password, concurrently"));
    for resp in futures_util::future::join_all(attempts).await {
        assert!(
            matches!(resp.status().as_u16(), 401 | 429),
            "{}",
            resp.status()
        );
    }
    let failures: i32 = app.with_conn(|c| {
        use courrier::db::schema::login_throttle::dsl::*;
        login_throttle
            .filter(email.eq(&who.email))
            .select(failures)
            .first(c)
            .unwrap()
    });
    assert!(failures >= 5, "{failures}");
    assert_eq!(app.try_login(&who.email, PASSWORD).await.status(), 429);
}

async fn staff_routes_need_a_session(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let (_, id) = app.submit("newsroom").await;
    for (method, path) in [
        ("GET", "/v1/submissions".to_owned()),
        ("GET", format!("/v1/submissions/{id}")),
        ("PATCH", format!("/v1/submissions/{id}")),
        ("POST", format!("/v1/submissions/{id}/notes")),
        ("POST", format!("/v1/submissions/{id}/replies")),
        ("GET", "/v1/queues".to_owned()),
        ("GET", "/v1/users".to_owned()),
        ("POST", "/v1/users".to_owned()),
        ("POST", "/v1/auth/logout".to_owned()),
    ] {
        let req = app
            .client
            .request(method.parse().unwrap(), app.url(&path))
            .json(&json!({}));
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 401, "{method} {path}");
        assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    }
}

crate::on_both_backends!(
    sign_in_returns_a_strong_token_and_me_answers,
    an_account_is_found_whatever_the_case_or_form_of_its_domain,
    unknown_account_and_wrong_password_get_the_same_answer,
    lockout_grows_and_looks_the_same_for_unknown_accounts,
    sign_in_is_limited_per_client_ip,
    dead_tokens_are_refused,
    account_changes_end_sessions,
    only_admins_manage_accounts,
    admin_creates_accounts_with_checked_passwords,
    each_role_sees_only_its_desk,
    every_status_move_is_checked,
    concurrent_edits_do_not_overwrite_each_other,
    assignees_and_queue_moves_respect_desks,
    notes_stay_internal,
    replies_are_threaded_under_the_acknowledgement,
    filters_narrow_the_list,
    pages_have_no_duplicates_or_gaps_while_rows_arrive,
    deadline_order_pages_most_urgent_first,
    control_characters_in_staff_input_are_refused_cleanly,
    lockouts_end_with_a_new_password_or_with_time,
    concurrent_failed_sign_ins_all_count,
    staff_routes_need_a_session,
);
