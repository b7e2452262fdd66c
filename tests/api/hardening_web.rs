//! The web edge under attack: odd methods cannot grow the metrics or the log, slow clients are
//! cut off, a full worker says so, every error speaks the request's language, checkboxes take
//! what real forms send, and the error page links back only to our own pages.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{
    free_port, log_path, newsroom_body, sales_body, spawn_app, spawn_app_with, Backend, TestApp,
    TestDb,
};

const METRICS_TOKEN: &str = "a-scrape-token-of-some-length";

async fn app_with(tweak: impl FnOnce(&mut courrier::config::Settings)) -> TestApp {
    spawn_app_with(Arc::new(TestDb::new(Backend::Sqlite)), free_port(), tweak).await
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Everything the server sends until it closes the connection; fails after `within`.
async fn read_to_close(stream: &mut TcpStream, within: Duration) -> String {
    let mut all = Vec::new();
    tokio::time::timeout(within, stream.read_to_end(&mut all))
        .await
        .expect("the server closes the connection")
        .ok();
    String::from_utf8_lossy(&all).into_owned()
}

/// A method no one uses: `len` characters, different each time.
fn random_method(len: usize) -> String {
    let mut s = String::new();
    while s.len() < len {
        s.push_str(&uuid::Uuid::new_v4().simple().to_string().to_uppercase());
    }
    s.truncate(len);
    s
}

/// The logs of the run so far, when they go to the file (not with `TEST_LOG`).
fn logged() -> Option<String> {
    if std::env::var("TEST_LOG").is_ok() {
        return None;
    }
    std::fs::read_to_string(log_path()).ok()
}

#[tokio::test]
async fn odd_methods_add_no_metric_series_and_stay_short_in_the_log() {
    let app = app_with(|s| s.metrics.token = Some(SecretString::from(METRICS_TOKEN))).await;
    let mut methods: Vec<String> = (0..600).map(|_| random_method(40)).collect();
    methods.extend((0..5).map(|_| random_method(4_000)));
    let mut pipeline = String::new();
    for (i, method) in methods.iter().enumerate() {
        let close = if i + 1 == methods.len() {
            "Connection: close\r\n"
        } else {
            ""
        };
        pipeline.push_str(&format!(
            "{method} /nothing HTTP/1.1\r\nHost: x\r\n{close}\r\n"
        ));
    }
    let (mut read, mut write) = connect(&app).await.into_split();
    let writer = tokio::spawn(async move { write.write_all(pipeline.as_bytes()).await });
    let mut answers = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), read.read_to_end(&mut answers))
        .await
        .expect("every pipelined request is answered")
        .unwrap();
    writer.await.unwrap().unwrap();
    let answers = String::from_utf8_lossy(&answers);
    assert_eq!(
        answers.matches("HTTP/1.1 404").count(),
        methods.len(),
        "each odd method gets the unknown path's answer"
    );

    let text = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let series: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("courrier_http_requests_total{"))
        .collect();
    assert!(
        series.len() <= 3,
        "a few series, not one per method: {series:?}"
    );
    let odd = series
        .iter()
        .find(|l| l.contains(r#"method="other""#) && l.contains(r#"route="unmatched""#))
        .expect("odd methods counted under `other`");
    let count: f64 = odd.rsplit_once(' ').unwrap().1.parse().unwrap();
    assert!(count >= methods.len() as f64, "{odd}");
    for method in &methods {
        assert!(
            !text.contains(&method[..16]),
            "no method of a client's own in the metrics"
        );
    }
    if let Some(log) = logged() {
        let long = methods.last().unwrap();
        assert!(
            log.contains(&long[..16]),
            "the log shows the start of an odd method"
        );
        assert!(!log.contains(&long[..17]), "and no more of it");
    }
}

#[tokio::test]
async fn a_stalled_sign_in_body_is_answered_408_and_its_connection_closed() {
    let app = app_with(|s| s.http.body_timeout_ms = 300).await;
    // A declared length that never arrives.
    let mut stream = connect(&app).await;
    stream
        .write_all(b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAccept-Language: en\r\nContent-Length: 1000\r\n\r\n{\"email\":")
        .await
        .unwrap();
    let answer = read_to_close(&mut stream, Duration::from_secs(10)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""error":"request_timeout""#), "{answer}");
    assert!(
        answer.contains("did not arrive in time"),
        "in English: {answer}"
    );
    // A chunked body that stalls, on the sign-in, the staff API and a form: answered, and the
    // connection is not kept open to drain it.
    let admin = app.staff("admin").await;
    let bearer = format!("Authorization: Bearer {}\r\n", admin.token);
    for (path, auth) in [
        ("/v1/auth/login", ""),
        ("/v1/users", bearer.as_str()),
        ("/v1/forms/newsroom", ""),
    ] {
        let mut stream = connect(&app).await;
        stream
            .write_all(format!("POST {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{{\"a\":\r\n").as_bytes())
            .await
            .unwrap();
        let answer = read_to_close(&mut stream, Duration::from_secs(10)).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer}");
        assert!(
            answer.contains("n’est pas arrivée à temps"),
            "French by default: {answer}"
        );
    }
    assert_eq!(app.count("submissions"), 0);
}

#[tokio::test]
async fn a_slow_request_head_is_cut_off() {
    let app = app_with(|s| s.http.header_timeout_ms = 300).await;
    let (mut read, mut write) = connect(&app).await.into_split();
    // One header byte every 50 ms, for as long as the server listens.
    let dribble = tokio::spawn(async move {
        let head = b"GET /health/live HTTP/1.1\r\nHost: x\r\n";
        if write.write_all(head).await.is_err() {
            return;
        }
        while write.write_all(b"X").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let mut answer = Vec::new();
    // Far above the 300 ms limit, and below actix's own 5 s default.
    tokio::time::timeout(Duration::from_secs(3), read.read_to_end(&mut answer))
        .await
        .expect("the server gives up on the head and closes")
        .ok();
    dribble.abort();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[tokio::test]
async fn a_full_worker_says_so_and_serves_again_when_a_connection_closes() {
    let app = app_with(|s| {
        s.http.workers = 1;
        s.http.max_connections = 2;
        s.http.header_timeout_ms = 60_000;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = connect(&app).await;
        stream
            .write_all(b"GET /health/live HTTP/1.1\r\n")
            .await
            .unwrap();
        held.push(stream);
    }
    if logged().is_some() {
        crate::helpers::eventually("the cap in the log", Duration::from_secs(10), || {
            logged().is_some_and(|log| log.contains("connection cap reached"))
        })
        .await;
    }
    // A third client waits in the backlog, and is served once a held connection closes.
    let mut third = connect(&app).await;
    third
        .write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    drop(held.pop());
    let answer = read_to_close(&mut third, Duration::from_secs(10)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// An answer's status and JSON body.
async fn answer(request: reqwest::RequestBuilder, language: Option<&str>) -> (u16, Value) {
    let request = match language {
        Some(l) => request.header("accept-language", l),
        None => request,
    };
    let resp = request.send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn staff_errors_follow_accept_language_with_stable_codes() {
    let app = spawn_app(Backend::Sqlite, free_port()).await;
    let editor = app.staff("editor").await;
    let admin = app.staff("admin").await;
    let missing = "/v1/submissions/NR-2026-ZZZZZ";
    let short_password =
        json!({"email": "n@journal.example", "name": "N", "role": "editor", "password": "short"});
    for (language, texts) in [
        (
            None,
            [
                "Introuvable.",
                "Connexion requise",
                "Votre rôle",
                "au moins 12",
            ],
        ),
        (
            Some("fr-FR,fr;q=0.9"),
            [
                "Introuvable.",
                "Connexion requise",
                "Votre rôle",
                "au moins 12",
            ],
        ),
        (
            Some("en-GB,en;q=0.8"),
            ["Not found.", "Sign-in required", "Your role", "at least 12"],
        ),
    ] {
        let (status, body) = answer(app.get_as(&editor, missing), language).await;
        assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
        assert_eq!(body["message"], texts[0], "{language:?}");
        let (status, body) = answer(app.client.get(app.url("/v1/auth/me")), language).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("unauthorized"))
        );
        assert!(
            body["message"].as_str().unwrap().contains(texts[1]),
            "{body}"
        );
        let (status, body) = answer(app.get_as(&editor, "/v1/users"), language).await;
        assert_eq!((status, body["error"].as_str()), (403, Some("forbidden")));
        assert!(
            body["message"].as_str().unwrap().contains(texts[2]),
            "{body}"
        );
        let create = app.post_as(&admin, "/v1/users").json(&short_password);
        let (status, body) = answer(create, language).await;
        assert_eq!(status, 422, "{body}");
        let problem = &body["fields"]["password"][0];
        assert_eq!(problem["code"], "password_too_short");
        assert!(
            problem["message"].as_str().unwrap().contains(texts[3]),
            "{body}"
        );
    }
}

#[tokio::test]
async fn unknown_paths_methods_and_huge_headers_answer_in_the_requests_language() {
    let app = spawn_app(Backend::Sqlite, free_port()).await;
    for (language, not_found, not_allowed, too_large) in [
        (None, "Introuvable.", "Méthode non prise", "trop longs"),
        (Some("en"), "Not found.", "not supported", "too large"),
    ] {
        let (status, body) = answer(app.client.get(app.url("/nothing")), language).await;
        assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
        assert_eq!(body["message"], not_found);
        let delete = app.client.delete(app.url("/v1/forms/newsroom"));
        let (status, body) = answer(delete, language).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (405, Some("method_not_allowed"))
        );
        assert!(
            body["message"].as_str().unwrap().contains(not_allowed),
            "{body}"
        );
        let token = app.client.get(app.url("/v1/forms/elsewhere/token"));
        let (status, body) = answer(token, language).await;
        assert_eq!((status, body["message"].as_str()), (404, Some(not_found)));
        let huge = app
            .client
            .get(app.url("/health/live"))
            .header("x-padding", "p".repeat(17 * 1024));
        let (status, body) = answer(huge, language).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (431, Some("headers_too_large"))
        );
        assert!(
            body["message"].as_str().unwrap().contains(too_large),
            "{body}"
        );
    }
    let deleted = app
        .client
        .delete(app.url("/v1/forms/newsroom"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.headers()["allow"], "POST");
}

const FORM: &str = "name=A&email=a%40example.fr&organisation=O&topic=advertising&message=m";

async fn stored_opt_in(app: &TestApp, resp: reqwest::Response) -> bool {
    assert_eq!(resp.status(), 303);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let reference = location
        .strip_prefix("/merci?reference=")
        .unwrap()
        .to_owned();
    app.with_conn(|c| courrier::db::submissions::by_reference(c, &reference).unwrap())
        .marketing_opt_in
}

#[tokio::test]
async fn checkboxes_take_any_case_and_french_and_name_a_value_they_cannot_have() {
    let app = spawn_app(Backend::Sqlite, free_port()).await;
    for (consent, opt_in, ticked) in [
        ("True", "Oui", true),
        ("YES", "ON", true),
        ("oui", "Non", false),
        ("On", "FALSE", false),
        ("1", "", false),
    ] {
        let body = format!("{FORM}&consent={consent}&marketing_opt_in={opt_in}");
        let resp = app.post_form("sales", &body).await;
        assert_eq!(stored_opt_in(&app, resp).await, ticked, "{body}");
    }
    // In JSON too, besides booleans.
    let mut json_body = sales_body();
    json_body["consent"] = json!("Oui");
    json_body["marketing_opt_in"] = json!("YES");
    assert_eq!(app.post_json("sales", &json_body).await.status(), 201);

    // A value a box cannot have: 422 naming the box, on the page and in JSON.
    let page = app
        .client
        .post(app.url("/v1/forms/newsroom"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=A&email=nope&topic=tip&message=m&consent=maybe&locale=en")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 422);
    let page = page.text().await.unwrap();
    assert!(page.contains("Consent to handling your request"), "{page}");
    assert!(page.contains("its value is not recognised"), "{page}");
    assert!(
        page.contains("This e-mail address is not valid."),
        "every problem: {page}"
    );
    for (field, value) in [
        ("consent", json!("maybe")),
        ("consent", json!(1)),
        ("consent", json!(["on"])),
        ("marketing_opt_in", json!("peut-être")),
    ] {
        let mut body = sales_body();
        body[field] = value.clone();
        let resp = app.post_json("sales", &body).await;
        assert_eq!(resp.status(), 422, "{field}: {value}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(
            body["fields"][field][0]["code"], "invalid_checkbox",
            "{body}"
        );
        assert_eq!(body["fields"].as_object().unwrap().len(), 1, "{body}");
    }
    // A box the form does not have, or another field mistyped, is still a malformed body.
    let mut other_form_box = newsroom_body();
    other_form_box["marketing_opt_in"] = json!("maybe");
    let mut mistyped = newsroom_body();
    mistyped["name"] = json!(5);
    for body in [other_form_box, mistyped] {
        assert_eq!(
            app.post_json("newsroom", &body).await.status(),
            400,
            "{body}"
        );
    }
    assert_eq!(app.count("submissions"), 6);
}

#[tokio::test]
async fn the_error_page_links_back_only_to_our_own_pages() {
    let app = app_with(|s| s.site.origins = vec!["https://journal.example".into()]).await;
    let own = app.url("/");
    let post = |referer: String| {
        app.client
            .post(app.url("/v1/forms/newsroom"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("referer", referer)
            .body("name=A&email=nope&topic=tip&message=m&consent=on")
            .send()
    };
    for (referer, link) in [
        (
            "https://journal.example/article?x=1",
            "https://journal.example/article?x=1",
        ),
        (own.as_str(), own.as_str()),
        ("https://evil.example/journal.example", "/"),
        ("https://journal.example.evil.example/", "/"),
        ("http://journal.example/article", "/"),
        ("javascript:alert(1)", "/"),
    ] {
        let resp = post(referer.to_owned()).await.unwrap();
        assert_eq!(resp.status(), 422);
        let page = resp.text().await.unwrap();
        assert!(
            page.contains(&format!(r#"href="{link}""#)),
            "{referer}: {page}"
        );
    }
}
