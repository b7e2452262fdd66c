//! The abuse defences, black-box: suspected spam is kept, quarantined and answered like any
//! other post; staff release it; hostile bodies are refused with nothing stored.

use std::sync::Arc;

use secrecy::ExposeSecret;
use serde_json::{json, Value};

use crate::helpers::{
    free_port, newsroom_body, spawn_app, spawn_app_with, spawn_app_without_worker, test_settings,
    Answer, Backend, MailSink, SinkMode, TestApp, TestDb,
};

/// A form token issued `age_ms` ago, signed with the test configuration's key.
fn token_aged(form: courrier::domain::FormKind, age_ms: i64) -> String {
    let settings = test_settings("sqlite://unused", 0);
    let screen = courrier::desk::screening::Screen::new(
        &settings.antispam,
        settings.privacy.ip_hash_key.expose_secret(),
    )
    .unwrap();
    screen.issue(form, chrono::Utc::now().timestamp_millis() - age_ms)
}

fn with(changes: Value) -> Value {
    let mut body = newsroom_body();
    for (k, v) in changes.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

/// Posts and returns the stored row behind the answer, which must be the ordinary 201.
async fn post_and_fetch(app: &TestApp, body: &Value) -> courrier::db::submissions::SubmissionRow {
    let resp = app.post_json("newsroom", body).await;
    assert_eq!(resp.status(), 201, "{body}");
    let answer: Value = resp.json().await.unwrap();
    assert_eq!(answer["status"], "received", "the same answer as any post");
    let reference = answer["reference"].as_str().unwrap().to_owned();
    app.with_conn(|c| courrier::db::submissions::by_reference(c, &reference).unwrap())
}

fn mails_of(app: &TestApp, submission: &str) -> i64 {
    use courrier::db::schema::outbox::dsl::*;
    use diesel::prelude::*;
    app.with_conn(|c| {
        outbox
            .filter(submission_id.eq(submission))
            .count()
            .get_result(c)
            .unwrap()
    })
}

async fn honeypot_post_is_quarantined_and_answered_like_any_other(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let genuine = post_and_fetch(&app, &with(json!({"website": ""}))).await;
    assert_eq!(genuine.status, "new");
    assert_eq!(genuine.spam_reason, None);
    assert_eq!(mails_of(&app, &genuine.id), 2);
    let bot = post_and_fetch(&app, &with(json!({"website": "http://spam.example"}))).await;
    assert_eq!(bot.status, "spam");
    assert_eq!(bot.spam_reason.as_deref(), Some("honeypot"));
    assert_eq!(mails_of(&app, &bot.id), 0, "no e-mail for suspected spam");
    // The extra fields are text, like the form's own: another JSON type is malformed.
    let number = app
        .post_json("newsroom", &with(json!({"website": 1})))
        .await;
    assert_eq!(number.status(), 400);
    // The HTML form answers the same way too: on to the thank-you page.
    let html = app
        .post_form(
            "newsroom",
            "name=Bot&email=bot%40example.fr&topic=tip&message=Hi&consent=on&website=filled",
        )
        .await;
    assert_eq!(html.status(), 303);
    assert_eq!(app.count("submissions"), 3, "kept, never dropped");
    assert_eq!(app.count("outbox"), 2);
}

async fn form_tokens_catch_posts_too_fast_forged_or_old(b: Backend) {
    use courrier::domain::FormKind::{Newsroom, Sales};
    let app = spawn_app(b, free_port()).await;
    let issued: Value = app
        .get("/v1/forms/newsroom/token")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(issued["field"], "form_token");
    assert_eq!(issued["honeypot_field"], "website");
    let fresh = issued["token"].as_str().unwrap();
    let cases = [
        (fresh.to_owned(), Some("too_fast")),
        (token_aged(Newsroom, 10_000), None),
        (token_aged(Sales, 10_000), Some("invalid_token")),
        (
            format!("{}x", token_aged(Newsroom, 10_000)),
            Some("invalid_token"),
        ),
        ("newsroom.1.forged".to_owned(), Some("invalid_token")),
        (token_aged(Newsroom, 2 * 86_400_000), Some("expired_token")),
        (token_aged(Newsroom, -60_000), Some("invalid_token")),
        (String::new(), None),
    ];
    for (token, reason) in cases {
        let row = post_and_fetch(&app, &with(json!({"form_token": token}))).await;
        assert_eq!(row.spam_reason.as_deref(), reason, "token {token:?}");
        assert_eq!(row.status, if reason.is_some() { "spam" } else { "new" });
    }
    assert_eq!(app.get("/v1/forms/letters/token").await.status(), 404);
}

async fn a_missing_token_is_suspect_only_when_required(b: Backend) {
    let app = spawn_app_with(Arc::new(TestDb::new(b)), free_port(), |s| {
        s.antispam.require_token = true;
    })
    .await;
    let row = post_and_fetch(&app, &newsroom_body()).await;
    assert_eq!(row.spam_reason.as_deref(), Some("missing_token"));
    let token = token_aged(courrier::domain::FormKind::Newsroom, 5_000);
    let row = post_and_fetch(&app, &with(json!({"form_token": token}))).await;
    assert_eq!(row.status, "new");
}

async fn more_links_than_allowed_is_suspect(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let three = "Voir https://a.example, http://b.example/x et www.c.example.";
    assert_eq!(
        post_and_fetch(&app, &with(json!({"message": three})))
            .await
            .status,
        "new"
    );
    let four = format!("{three} Et https://www.d.example.");
    let row = post_and_fetch(&app, &with(json!({"message": four}))).await;
    assert_eq!(row.spam_reason.as_deref(), Some("too_many_links"));
}

async fn block_lists_quarantine_addresses_domains_networks_and_words(b: Backend) {
    let app = spawn_app_with(Arc::new(TestDb::new(b)), free_port(), |s| {
        s.antispam.blocked_emails = vec!["Troll@Example.org".into()];
        s.antispam.blocked_domains = vec!["spam.example".into()];
        s.antispam.blocked_words = vec!["CASINO en ligne".into()];
    })
    .await;
    let cases = [
        (json!({"email": "troll@example.org"}), "blocked_email"),
        (json!({"email": "x@mail.spam.example"}), "blocked_domain"),
        (
            json!({"subject": "Le meilleur casino EN LIGNE"}),
            "blocked_word",
        ),
    ];
    for (change, reason) in cases {
        let row = post_and_fetch(&app, &with(change)).await;
        assert_eq!(row.spam_reason.as_deref(), Some(reason));
    }
    let row = post_and_fetch(&app, &with(json!({"email": "x@notspam.example"}))).await;
    assert_eq!(row.status, "new", "only the domain and its subdomains");
    // The tests post from loopback.
    let blocked = spawn_app_with(Arc::new(TestDb::new(b)), free_port(), |s| {
        s.antispam.blocked_networks = vec!["127.0.0.0/8".into()];
    })
    .await;
    let row = post_and_fetch(&blocked, &newsroom_body()).await;
    assert_eq!(row.spam_reason.as_deref(), Some("blocked_network"));
}

async fn releasing_quarantine_notifies_the_team_once(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app_without_worker(b, sink.port).await;
    let editor = app.staff("editor").await;
    let row = post_and_fetch(&app, &with(json!({"website": "x"}))).await;
    let path = format!("/v1/submissions/{}", row.reference);
    let detail: Value = app.get_as(&editor, &path).read_json().await;
    assert_eq!(detail["status"], "spam");
    assert_eq!(detail["spam_reason"], "honeypot");
    let listed: Value = app
        .get_as(&editor, "/v1/submissions?status=spam")
        .read_json()
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let release = |status: &'static str| {
        app.patch_as(&editor, &path)
            .json(&json!({ "status": status }))
            .send()
    };
    assert_eq!(release("open").await.unwrap().status(), 200);
    app.dispatch_all_pending().await;
    let mails = sink.accepted();
    assert_eq!(mails.len(), 1);
    let subject = mails[0].header("Subject").unwrap();
    assert!(subject.contains(&row.reference), "{subject}");
    assert_eq!(mails[0].header("To").unwrap(), "redaction@localhost");
    assert_eq!(
        mails_of(&app, &row.id),
        1,
        "the team only: no acknowledgement"
    );
    // Back to spam and out again: the team has heard of it already.
    assert_eq!(release("spam").await.unwrap().status(), 200);
    assert_eq!(release("open").await.unwrap().status(), 200);
    assert_eq!(mails_of(&app, &row.id), 1);
}

async fn bidi_and_normalisation_are_kept_exactly_and_bidi_is_flagged(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let tricky = "Facture \u{202E}fdp.exe\u{202C} jointe";
    let row = post_and_fetch(&app, &with(json!({"subject": tricky, "message": tricky}))).await;
    assert_eq!(row.subject.as_deref(), Some(tricky));
    assert_eq!(row.message, tricky);
    assert_eq!(row.flags, "bidi");
    assert_eq!(row.status, "new", "flagged, not suspect");
    let nfc = "Zoé Müller";
    let nfd = "Zoe\u{301} Mu\u{308}ller";
    for name in [nfc, nfd] {
        let row = post_and_fetch(&app, &with(json!({"name": name}))).await;
        assert_eq!(row.name.as_bytes(), name.as_bytes(), "stored byte for byte");
        assert_eq!(row.flags, "");
    }
    let editor = app.staff("editor").await;
    let list: Value = app
        .get_as(&editor, "/v1/submissions?limit=100")
        .read_json()
        .await;
    let first = &list["items"].as_array().unwrap().last().unwrap()["reference"];
    let detail: Value = app
        .get_as(
            &editor,
            &format!("/v1/submissions/{}", first.as_str().unwrap()),
        )
        .read_json()
        .await;
    assert_eq!(detail["flags"], json!(["bidi"]));
}

async fn duplicate_fields_are_refused_and_nothing_is_stored(b: Backend) {
    let app = spawn_app(b, free_port()).await;
    let json_body = r#"{"name":"A","name":"B","email":"a@example.fr","topic":"tip","message":"m","consent":true}"#;
    let resp = app
        .client
        .post(app.url("/v1/forms/newsroom"))
        .header("content-type", "application/json")
        .body(json_body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "malformed_request");
    let resp = app
        .post_form(
            "newsroom",
            "name=A&email=a%40example.fr&email=b%40example.fr&topic=tip&message=m&consent=on",
        )
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(app.count("submissions"), 0);
}

crate::on_both_backends!(
    honeypot_post_is_quarantined_and_answered_like_any_other,
    form_tokens_catch_posts_too_fast_forged_or_old,
    a_missing_token_is_suspect_only_when_required,
    more_links_than_allowed_is_suspect,
    block_lists_quarantine_addresses_domains_networks_and_words,
    releasing_quarantine_notifies_the_team_once,
    bidi_and_normalisation_are_kept_exactly_and_bidi_is_flagged,
    duplicate_fields_are_refused_and_nothing_is_stored,
);

mod limits {
    use super::*;

    async fn post_from(app: &TestApp, forwarded_for: Option<&str>, body: &Value) -> u16 {
        let mut req = app.client.post(app.url("/v1/forms/newsroom")).json(body);
        if let Some(ip) = forwarded_for {
            req = req.header("x-forwarded-for", ip);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        if status == 429 {
            let wait: u64 = resp.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=3600).contains(&wait), "{wait}");
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["error"], "too_many_requests");
        }
        status
    }

    async fn forms_are_limited_per_client_address(b: Backend) {
        let app = spawn_app_with(Arc::new(TestDb::new(b)), free_port(), |s| {
            s.limits.form_per_ip_per_minute = 2;
        })
        .await;
        let body = newsroom_body();
        assert_eq!(post_from(&app, None, &body).await, 201);
        assert_eq!(post_from(&app, None, &body).await, 201);
        // Without a trusted proxy, a client cannot pose as another with the header.
        assert_eq!(post_from(&app, Some("198.51.100.7"), &body).await, 429);
        assert_eq!(app.count("submissions"), 2, "nothing stored past the limit");
        // Invalid posts count too: a flood is a flood.
        assert_eq!(app.post_json("newsroom", &json!({})).await.status(), 429);
    }

    async fn behind_a_trusted_proxy_each_client_has_its_own_limit(b: Backend) {
        let app = spawn_app_with(Arc::new(TestDb::new(b)), free_port(), |s| {
            s.limits.form_per_ip_per_minute = 1;
            s.http.trusted_proxies = vec!["127.0.0.1".into()];
            s.antispam.blocked_networks = vec!["203.0.113.0/24".into()];
        })
        .await;
        let body = newsroom_body();
        assert_eq!(post_from(&app, Some("198.51.100.7"), &body).await, 201);
        assert_eq!(post_from(&app, Some("198.51.100.7"), &body).await, 429);
        assert_eq!(
            post_from(&app, Some("10.9.9.9, 198.51.100.8"), &body).await,
            201,
            "the proxy's nearest hop names the client"
        );
        // The block list sees the forwarded client too.
        let resp = app
            .client
            .post(app.url("/v1/forms/newsroom"))
            .header("forwarded", "for=203.0.113.5")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201);
        let reference = resp.json::<Value>().await.unwrap()["reference"]
            .as_str()
            .unwrap()
            .to_owned();
        let row =
            app.with_conn(|c| courrier::db::submissions::by_reference(c, &reference).unwrap());
        assert_eq!(row.spam_reason.as_deref(), Some("blocked_network"));
    }

    async fn forms_are_limited_per_reader_address(b: Backend) {
        let app = spawn_app_with(Arc::new(TestDb::new(b)), free_port(), |s| {
            s.limits.form_per_email_per_hour = 1;
        })
        .await;
        assert_eq!(post_from(&app, None, &newsroom_body()).await, 201);
        let same = with(json!({"email": "Zoe.Martin@EXAMPLE.fr"}));
        assert_eq!(post_from(&app, None, &same).await, 429);
        let other = with(json!({"email": "paul@example.fr"}));
        assert_eq!(post_from(&app, None, &other).await, 201);
        let html = app
            .post_form(
                "newsroom",
                "name=Z&email=zoe.martin%40example.fr&topic=tip&message=m&consent=on",
            )
            .await;
        assert_eq!(html.status(), 429);
        assert!(html.headers().contains_key("retry-after"));
        assert_eq!(app.count("submissions"), 2);
    }

    crate::on_both_backends!(
        forms_are_limited_per_client_address,
        behind_a_trusted_proxy_each_client_has_its_own_limit,
        forms_are_limited_per_reader_address,
    );
}

mod idempotency {
    use super::*;

    async fn post_keyed(app: &TestApp, key: &str, body: &Value) -> reqwest::Response {
        app.client
            .post(app.url("/v1/forms/newsroom"))
            .header("idempotency-key", key)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    async fn reference_of(resp: reqwest::Response) -> String {
        assert_eq!(resp.status(), 201);
        resp.json::<Value>().await.unwrap()["reference"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn a_key_sent_again_gets_the_same_answer_and_one_submission(b: Backend) {
        let app = spawn_app(b, free_port()).await;
        let body = newsroom_body();
        let first = reference_of(post_keyed(&app, "k-1", &body).await).await;
        let again = reference_of(post_keyed(&app, "k-1", &body).await).await;
        assert_eq!(first, again);
        assert_eq!(app.count("submissions"), 1);
        assert_eq!(app.count("outbox"), 2, "one set of e-mails");
        // Keys are per form, and another key is another submission.
        let other = reference_of(post_keyed(&app, "k-2", &body).await).await;
        assert_ne!(other, first);
        let sales = app
            .client
            .post(app.url("/v1/forms/sales"))
            .header("idempotency-key", "k-1")
            .json(&crate::helpers::sales_body())
            .send()
            .await
            .unwrap();
        assert_eq!(sales.status(), 201);
        assert_eq!(app.count("submissions"), 3);
    }

    async fn concurrent_posts_under_one_key_store_one_submission(b: Backend) {
        let app = spawn_app(b, free_port()).await;
        let body = newsroom_body();
        let posts = (0..8).map(|_| post_keyed(&app, "same-key", &body));
        let answers = futures_util::future::join_all(posts).await;
        let mut references = Vec::new();
        for resp in answers {
            references.push(reference_of(resp).await);
        }
        references.dedup();
        assert_eq!(references.len(), 1, "{references:?}");
        assert_eq!(app.count("submissions"), 1);
        assert_eq!(app.count("outbox"), 2);
    }

    async fn a_key_reused_for_another_body_is_refused(b: Backend) {
        let app = spawn_app(b, free_port()).await;
        reference_of(post_keyed(&app, "k", &newsroom_body()).await).await;
        let changed = with(json!({"message": "Autre chose."}));
        let resp = post_keyed(&app, "k", &changed).await;
        assert_eq!(resp.status(), 422);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "idempotency_key_reused");
        assert_eq!(app.count("submissions"), 1);
        for bad in ["", "espace ici", &"k".repeat(256)] {
            let resp = app
                .client
                .post(app.url("/v1/forms/newsroom"))
                .header("idempotency-key", bad)
                .json(&newsroom_body())
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 400, "{bad:?}");
        }
        assert_eq!(app.count("submissions"), 1);
    }

    async fn an_expired_key_may_be_used_afresh(b: Backend) {
        let app = spawn_app(b, free_port()).await;
        let first = reference_of(post_keyed(&app, "k", &newsroom_body()).await).await;
        app.with_conn(|c| {
            use courrier::db::schema::idempotency_keys::dsl::*;
            use diesel::prelude::*;
            diesel::update(idempotency_keys)
                .set(expires_at.eq(courrier::db::now() - chrono::Duration::seconds(1)))
                .execute(c)
                .unwrap();
        });
        let changed = with(json!({"message": "Une autre fois."}));
        let second = reference_of(post_keyed(&app, "k", &changed).await).await;
        assert_ne!(first, second);
        assert_eq!(app.count("submissions"), 2);
        assert_eq!(app.count("idempotency_keys"), 1);
    }

    crate::on_both_backends!(
        a_key_sent_again_gets_the_same_answer_and_one_submission,
        concurrent_posts_under_one_key_store_one_submission,
        a_key_reused_for_another_body_is_refused,
        an_expired_key_may_be_used_afresh,
    );
}

mod captcha {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use actix_web::{web, App, HttpResponse, HttpServer};

    use super::*;

    type Seen = Arc<Mutex<Vec<HashMap<String, String>>>>;

    /// A siteverify endpoint on loopback, in the providers' style: `good` passes, `bad` fails,
    /// `slow` answers after the service's timeout, `broken` answers 500.
    async fn verify_endpoint() -> (String, Seen) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen: Seen = Arc::default();
        let shared = seen.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(shared.clone()))
                .route(
                    "/siteverify",
                    web::post().to(
                        |form: web::Form<HashMap<String, String>>, seen: web::Data<Seen>| async move {
                            let form = form.into_inner();
                            seen.lock().unwrap().push(form.clone());
                            match form.get("response").map(String::as_str) {
                                Some("good") => HttpResponse::Ok().json(json!({"success": true})),
                                Some("slow") => {
                                    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                                    HttpResponse::Ok().json(json!({"success": true}))
                                }
                                Some("broken") => HttpResponse::InternalServerError().finish(),
                                _ => HttpResponse::Ok()
                                    .json(json!({"success": false, "error-codes": ["invalid-input-response"]})),
                            }
                        },
                    ),
                )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        (format!("http://127.0.0.1:{port}/siteverify"), seen)
    }

    async fn app_with_captcha(b: Backend, url: String) -> TestApp {
        spawn_app_with(Arc::new(TestDb::new(b)), free_port(), move |s| {
            s.antispam.captcha.verify_url = Some(url);
            s.antispam.captcha.secret = Some("captcha-secret".to_owned().into());
            s.antispam.captcha.timeout_ms = 300;
        })
        .await
    }

    async fn captcha_is_verified_server_side_and_a_failure_quarantines(b: Backend) {
        let (url, seen) = verify_endpoint().await;
        let app = app_with_captcha(b, url).await;
        let good = post_and_fetch(&app, &with(json!({"captcha_response": "good"}))).await;
        assert_eq!(good.status, "new");
        assert_eq!(mails_of(&app, &good.id), 2);
        let asked = seen.lock().unwrap()[0].clone();
        assert_eq!(asked["secret"], "captcha-secret");
        assert_eq!(asked["response"], "good");
        assert_eq!(asked["remoteip"], "127.0.0.1");
        let bad = post_and_fetch(&app, &with(json!({"captcha_response": "bad"}))).await;
        assert_eq!(bad.spam_reason.as_deref(), Some("captcha_failed"));
        let missing = post_and_fetch(&app, &newsroom_body()).await;
        assert_eq!(missing.spam_reason.as_deref(), Some("captcha_missing"));
        assert_eq!(mails_of(&app, &bad.id) + mails_of(&app, &missing.id), 0);
    }

    async fn a_captcha_provider_down_slow_or_failing_quarantines_and_never_rejects(b: Backend) {
        let (url, _) = verify_endpoint().await;
        let app = app_with_captcha(b, url).await;
        for response in ["slow", "broken"] {
            let row = post_and_fetch(&app, &with(json!({"captcha_response": response}))).await;
            assert_eq!(
                row.spam_reason.as_deref(),
                Some("captcha_unavailable"),
                "{response}"
            );
        }
        let down =
            app_with_captcha(b, format!("http://127.0.0.1:{}/siteverify", free_port())).await;
        let row = post_and_fetch(&down, &with(json!({"captcha_response": "good"}))).await;
        assert_eq!(row.spam_reason.as_deref(), Some("captcha_unavailable"));
        assert_eq!(row.status, "spam");
    }

    crate::on_both_backends!(
        captcha_is_verified_server_side_and_a_failure_quarantines,
        a_captcha_provider_down_slow_or_failing_quarantines_and_never_rejects,
    );
}
