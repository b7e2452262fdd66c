//! The public forms: validation, encodings and the answers readers and sites get.

use serde_json::{json, Value};

use crate::helpers::{newsroom_body, sales_body, spawn_app, Answer, Backend, MailSink, SinkMode};

async fn assert_field_errors(
    app: &crate::helpers::TestApp,
    form: &str,
    body: Value,
    expected: &[(&str, &str)],
) {
    let resp = app.post_json(form, &body).await;
    assert_eq!(resp.status(), 422, "body: {body}");
    let json: Value = resp.json().await.unwrap();
    assert_eq!(json["error"], "validation_failed");
    for (field, code) in expected {
        let codes: Vec<&str> = json["fields"][field]
            .as_array()
            .unwrap_or_else(|| panic!("no error for {field} in {json}"))
            .iter()
            .map(|e| e["code"].as_str().unwrap())
            .collect();
        assert!(
            codes.contains(code),
            "{field}: expected {code}, got {codes:?}"
        );
        assert!(
            json["fields"][field][0]["message"].as_str().unwrap().len() > 5,
            "every error carries a message"
        );
    }
}

fn with(mut base: Value, changes: Value) -> Value {
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            base.as_object_mut().unwrap().remove(k);
        } else {
            base[k] = v.clone();
        }
    }
    base
}

async fn newsroom_json_is_stored_and_answered_with_a_reference(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let resp = app.post_json("newsroom", &newsroom_body()).await;
    assert_eq!(resp.status(), 201);
    let json: Value = resp.json().await.unwrap();
    assert_eq!(json["status"], "received");
    let reference = json["reference"].as_str().unwrap();
    assert_eq!(reference.len(), 9);
    assert!(json["message"].as_str().unwrap().contains("Merci"));
    let row = app.with_conn(|c| courrier::db::submissions::by_reference(c, reference).unwrap());
    assert_eq!(row.form, "newsroom");
    assert_eq!(row.status, "new");
    assert_eq!(row.email, "zoe.martin@example.fr");
    assert_eq!(row.name, "Zoé Martin");
    assert_eq!(
        row.article_title.as_deref(),
        Some("La médiathèque rouvre ses portes")
    );
    assert!(row.consent);
    assert_eq!(row.consent_version, "2026-11");
    // The IP is kept only as a hash keyed with privacy.ip_hash_key.
    let ip_hash = row.client_ip_hash.unwrap();
    let settings = crate::helpers::test_settings("sqlite://unused", 0);
    let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(
        secrecy::ExposeSecret::expose_secret(&settings.privacy.ip_hash_key).as_bytes(),
    )
    .unwrap();
    hmac::Mac::update(&mut mac, b"127.0.0.1");
    let expected = courrier::desk::auth::hex(&hmac::Mac::finalize(mac).into_bytes()[..16]);
    assert_eq!(ip_hash, expected);
    assert_eq!(app.count("outbox"), 2);
    assert_eq!(app.count("events"), 1);
}

async fn every_validation_rule_is_reported_per_field(b: Backend) {
    let app = spawn_app(b, crate::helpers::free_port()).await;
    let n = newsroom_body();
    let cases: Vec<(Value, Vec<(&str, &str)>)> = vec![
        (
            json!({}),
            vec![
                ("name", "required"),
                ("email", "required"),
                ("topic", "required"),
                ("message", "required"),
                ("consent", "consent_required"),
            ],
        ),
        (
            with(n.clone(), json!({"name": "   "})),
            vec![("name", "required")],
        ),
        (
            with(n.clone(), json!({"name": "x".repeat(201)})),
            vec![("name", "too_long")],
        ),
        (
            with(n.clone(), json!({"name": "Zoé\r\nBcc: victim@example.org"})),
            vec![("name", "line_break_not_allowed")],
        ),
        (
            with(n.clone(), json!({"subject": "a\nb"})),
            vec![("subject", "line_break_not_allowed")],
        ),
        (
            with(n.clone(), json!({"subject": "s".repeat(201)})),
            vec![("subject", "too_long")],
        ),
        (
            with(n.clone(), json!({"subject": "tab\there"})),
            vec![("subject", "line_break_not_allowed")],
        ),
        (
            with(n.clone(), json!({"message": "m".repeat(10_001)})),
            vec![("message", "too_long")],
        ),
        (
            with(n.clone(), json!({"message": "nul\u{0}here"})),
            vec![("message", "control_character")],
        ),
        (
            with(n.clone(), json!({"name": "nul\u{0}"})),
            vec![("name", "line_break_not_allowed")],
        ),
        (
            with(n.clone(), json!({"email": "not-an-address"})),
            vec![("email", "invalid_email")],
        ),
        (
            with(
                n.clone(),
                json!({"email": "zoe@example.fr\r\nBcc: x@example.org"}),
            ),
            vec![("email", "invalid_email")],
        ),
        (
            with(n.clone(), json!({"email": "zoe@example"})),
            vec![("email", "invalid_email")],
        ),
        (
            with(n.clone(), json!({"topic": "advertising"})),
            vec![("topic", "invalid_choice")],
        ),
        (
            with(n.clone(), json!({"topic": "nonsense"})),
            vec![("topic", "invalid_choice")],
        ),
        (
            with(n.clone(), json!({"consent": false})),
            vec![("consent", "consent_required")],
        ),
        (
            with(n.clone(), json!({"consent": null})),
            vec![("consent", "consent_required")],
        ),
        (
            with(n.clone(), json!({"phone": "call me maybe"})),
            vec![("phone", "invalid_phone")],
        ),
        (
            with(n.clone(), json!({"phone": "1".repeat(41)})),
            vec![("phone", "too_long")],
        ),
        (
            with(n.clone(), json!({"article_url": "javascript:alert(1)"})),
            vec![("article_url", "invalid_url")],
        ),
        (
            with(
                n.clone(),
                json!({"article_url": format!("https://x.example/{}", "a".repeat(2000))}),
            ),
            vec![("article_url", "too_long")],
        ),
        (
            with(n.clone(), json!({"locale": "de"})),
            vec![("locale", "invalid_choice")],
        ),
    ];
    for (body, expected) in cases {
        assert_field_errors(&app, "newsroom", body, &expected).await;
    }
    let s = sales_body();
    assert_field_errors(
        &app,
        "sales",
        with(s.clone(), json!({"organisation": null})),
        &[("organisation", "required")],
    )
    .await;
    assert_field_errors(
        &app,
        "sales",
        with(s.clone(), json!({"organisation": "o".repeat(201)})),
        &[("organisation", "too_long")],
    )
    .await;
    assert_field_errors(
        &app,
        "sales",
        with(s.clone(), json!({"topic": "tip"})),
        &[("topic", "invalid_choice")],
    )
    .await;
    assert_field_errors(
        &app,
        "sales",
        with(s, json!({"consent": false})),
        &[("consent", "consent_required")],
    )
    .await;
    assert_eq!(app.count("submissions"), 0, "nothing invalid is stored");
    assert_eq!(app.count("outbox"), 0);
}

async fn limits_are_inclusive_and_counted_in_characters(b: Backend) {
    let app = spawn_app(b, crate::helpers::free_port()).await;
    let body = with(
        newsroom_body(),
        json!({"name": "é".repeat(200), "subject": "ü".repeat(200), "message": "ß".repeat(10_000)}),
    );
    assert_eq!(app.post_json("newsroom", &body).await.status(), 201);
}

async fn limits_hold_on_the_value_as_sent_and_white_space_around_is_trimmed(b: Backend) {
    let app = spawn_app(b, crate::helpers::free_port()).await;
    // Surrounding white space, a pasted trailing line break included, is not kept.
    let resp = app
        .post_json(
            "newsroom",
            &with(newsroom_body(), json!({"name": "\u{2003} Zoé Martin\r\n"})),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let reference = resp.json::<Value>().await.unwrap()["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    let row = app.with_conn(|c| courrier::db::submissions::by_reference(c, &reference).unwrap());
    assert_eq!(row.name, "Zoé Martin");
    // A bound counts what was sent, so a blank optional field is within it or refused too.
    assert_field_errors(
        &app,
        "newsroom",
        with(
            newsroom_body(),
            json!({"name": format!("{} ", "é".repeat(200)), "phone": " ".repeat(41)}),
        ),
        &[("name", "too_long"), ("phone", "too_long")],
    )
    .await;
    assert_eq!(app.count("submissions"), 1);
}

async fn international_domains_are_stored_in_ascii_and_local_parts_must_be(b: Backend) {
    let app = spawn_app(b, crate::helpers::free_port()).await;
    let resp = app
        .post_json(
            "newsroom",
            &with(newsroom_body(), json!({"email": "anais@Éditions.example"})),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let reference = resp.json::<Value>().await.unwrap()["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    let row = app.with_conn(|c| courrier::db::submissions::by_reference(c, &reference).unwrap());
    assert_eq!(
        row.email, "anais@xn--ditions-9xa.example",
        "deliverable by any relay"
    );
    assert_field_errors(
        &app,
        "newsroom",
        with(newsroom_body(), json!({"email": "anaïs@editions.example"})),
        &[("email", "invalid_email")],
    )
    .await;
}

async fn errors_follow_the_readers_language(b: Backend) {
    let app = spawn_app(b, crate::helpers::free_port()).await;
    let bad = json!({"name": "Zoé", "consent": true});
    let fr: Value = app.post_json("newsroom", &bad).await.json().await.unwrap();
    assert_eq!(
        fr["fields"]["email"][0]["message"],
        "Ce champ est obligatoire."
    );
    let en: Value = app
        .client
        .post(app.url("/v1/forms/newsroom"))
        .header("accept-language", "en-GB,en;q=0.9,fr;q=0.5")
        .json(&bad)
        .read_json()
        .await;
    assert_eq!(
        en["fields"]["email"][0]["message"],
        "This field is required."
    );
    assert_eq!(en["message"], "Some fields need correcting.");
    let explicit: Value = app
        .post_json("newsroom", &with(bad, json!({"locale": "en"})))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        explicit["fields"]["email"][0]["message"],
        "This field is required."
    );
}

async fn sales_lead_accepts_marketing_opt_in_only_when_ticked(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let plain: Value = app
        .post_json("sales", &sales_body())
        .await
        .json()
        .await
        .unwrap();
    let ticked: Value = app
        .post_json(
            "sales",
            &with(sales_body(), json!({"marketing_opt_in": true})),
        )
        .await
        .json()
        .await
        .unwrap();
    let opt_in = |r: &Value| {
        let reference = r["reference"].as_str().unwrap().to_owned();
        app.with_conn(|c| courrier::db::submissions::by_reference(c, &reference).unwrap())
            .marketing_opt_in
    };
    assert!(!opt_in(&plain), "never pre-ticked");
    assert!(opt_in(&ticked));
}

async fn html_form_post_redirects_to_the_thank_you_page(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let body = "name=Zo%C3%A9+Martin&email=zoe%40example.fr&topic=correction&message=Une+erreur%0D%0Ade+date&consent=on&locale=fr";
    let resp = app.post_form("newsroom", body).await;
    assert_eq!(resp.status(), 303);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/merci?reference="), "{location}");
    assert!(location.contains("&lang=fr"), "{location}");
    let reference = location
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("reference="))
        .unwrap();
    let row = app.with_conn(|c| courrier::db::submissions::by_reference(c, reference).unwrap());
    assert_eq!(row.name, "Zoé Martin");
    assert_eq!(row.message, "Une erreur\r\nde date");
    let page = app.get(&location).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains(reference));
    let billboard = app
        .get("/merci?reference=Appelez%20le%200800%20000%20000")
        .await;
    assert!(
        !billboard.text().await.unwrap().contains("Appelez"),
        "only references are shown"
    );
    for value in ["true", "1"] {
        let body = format!("name=A&email=a%40example.fr&topic=tip&message=m&consent={value}");
        assert_eq!(
            app.post_form("newsroom", &body).await.status(),
            303,
            "consent={value}"
        );
    }
}

async fn html_form_errors_are_a_page_in_the_readers_language(b: Backend) {
    let app = spawn_app(b, crate::helpers::free_port()).await;
    let resp = app
        .client
        .post(app.url("/v1/forms/newsroom"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("referer", "https://journal.example/article")
        .body("name=%3Cscript%3E&email=nope&topic=tip&message=m&locale=en")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let page = resp.text().await.unwrap();
    assert!(page.contains("This e-mail address is not valid."), "{page}");
    assert!(
        page.contains("We need your consent"),
        "absent checkbox means no consent"
    );
    assert!(
        page.contains(r#"href="/""#),
        "links back home: the page was on no origin of ours (hardening_web checks one that is)"
    );
    assert!(page.contains(r#"<html lang="en">"#));
    let fr = app
        .post_form(
            "newsroom",
            "name=A&email=nope&topic=tip&message=m&consent=on",
        )
        .await;
    assert_eq!(fr.status(), 422);
    assert!(fr
        .text()
        .await
        .unwrap()
        .contains("Cette adresse e-mail n’est pas valide."));
    assert_eq!(app.count("submissions"), 0);
}

async fn bad_requests_get_the_right_status_and_store_nothing(b: Backend) {
    let app = spawn_app(b, crate::helpers::free_port()).await;
    let post = |ct: Option<&'static str>, body: Vec<u8>| {
        let mut req = app.client.post(app.url("/v1/forms/newsroom")).body(body);
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        req.send()
    };
    let valid = serde_json::to_vec(&newsroom_body()).unwrap();
    let cases: Vec<(Option<&'static str>, Vec<u8>, u16, &str)> = vec![
        (
            Some("text/plain"),
            valid.clone(),
            415,
            "unsupported_media_type",
        ),
        (None, valid.clone(), 415, "unsupported_media_type"),
        (
            Some("application/json; charset=latin1"),
            valid.clone(),
            415,
            "unsupported_media_type",
        ),
        (
            Some("application/json"),
            b"{\"name\": ".to_vec(),
            400,
            "malformed_request",
        ),
        (
            Some("application/json"),
            b"[1,2]".to_vec(),
            400,
            "malformed_request",
        ),
        (
            Some("application/json"),
            br#"{"name": 42}"#.to_vec(),
            400,
            "malformed_request",
        ),
        (
            Some("application/json"),
            serde_json::to_vec(&with(newsroom_body(), json!({"is_admin": true}))).unwrap(),
            400,
            "malformed_request",
        ),
        (
            Some("application/json"),
            serde_json::to_vec(&with(
                newsroom_body(),
                json!({"message": "x".repeat(70_000)}),
            ))
            .unwrap(),
            413,
            "payload_too_large",
        ),
        (
            Some("application/x-www-form-urlencoded"),
            b"name=A&unknown=1".to_vec(),
            400,
            "malformed_request",
        ),
        (
            Some("application/x-www-form-urlencoded"),
            b"name=%FF%FE&email=a%40b.fr".to_vec(),
            400,
            "malformed_request",
        ),
        (
            Some("application/x-www-form-urlencoded"),
            b"name=A&name=B".to_vec(),
            400,
            "malformed_request",
        ),
    ];
    for (ct, body, status, code) in cases {
        let resp = post(ct, body).await.unwrap();
        assert_eq!(
            resp.status(),
            status,
            "content-type {ct:?}, expected {code}"
        );
        if ct != Some("application/x-www-form-urlencoded") {
            let json: Value = resp.json().await.unwrap();
            assert_eq!(json["error"], code);
            assert!(json["message"].is_string());
        }
    }
    // The sales form has no subject field.
    let resp = app
        .post_json("sales", &with(sales_body(), json!({"subject": "x"})))
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(app.count("submissions"), 0);
}

async fn demo_page_serves_both_forms_that_work_without_javascript(b: Backend) {
    let app = spawn_app(b, crate::helpers::free_port()).await;
    let resp = app.get("/").await;
    assert_eq!(resp.status(), 200);
    let page = resp.text().await.unwrap();
    assert!(page.contains(r#"action="/v1/forms/newsroom""#));
    assert!(page.contains(r#"action="/v1/forms/sales""#));
    assert!(page.contains("Vous souhaitez être contacté par notre rédaction ?"));
    assert!(page.contains("Vous souhaitez être contacté par notre service commercial ?"));
    assert!(page.contains(r#"<option value="right_of_reply">"#));
    assert!(!page.contains("<script"), "works without JavaScript");
    // Each form carries its token and the honeypot, out of sight and away from autofill.
    assert_eq!(
        page.matches(r#"name="form_token" value="newsroom."#)
            .count(),
        1
    );
    assert_eq!(
        page.matches(r#"name="form_token" value="sales."#).count(),
        1
    );
    assert_eq!(
        page.matches(r#"<div class="trap" aria-hidden="true">"#)
            .count(),
        2
    );
    assert_eq!(
        page.matches(r#"name="website" value="" tabindex="-1" autocomplete="off""#)
            .count(),
        2
    );
    // Every field the demo's forms post is one the API accepts.
    let body = "locale=fr&article_url=https%3A%2F%2Fjournal.example%2Fa&name=A&email=a%40example.fr&organisation=O&phone=0123456789&topic=advertising&message=m&consent=on&marketing_opt_in=on";
    assert_eq!(app.post_form("sales", body).await.status(), 303);
}

async fn health_endpoints_answer(b: Backend) {
    let app = spawn_app(b, crate::helpers::free_port()).await;
    let live = app.get("/health/live").await;
    assert_eq!(live.status(), 200);
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status(), 200);
}

crate::on_both_backends!(
    newsroom_json_is_stored_and_answered_with_a_reference,
    every_validation_rule_is_reported_per_field,
    limits_are_inclusive_and_counted_in_characters,
    limits_hold_on_the_value_as_sent_and_white_space_around_is_trimmed,
    international_domains_are_stored_in_ascii_and_local_parts_must_be,
    errors_follow_the_readers_language,
    sales_lead_accepts_marketing_opt_in_only_when_ticked,
    html_form_post_redirects_to_the_thank_you_page,
    html_form_errors_are_a_page_in_the_readers_language,
    bad_requests_get_the_right_status_and_store_nothing,
    demo_page_serves_both_forms_that_work_without_javascript,
    health_endpoints_answer,
);
