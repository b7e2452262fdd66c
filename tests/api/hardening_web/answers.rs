//! What every client reads back: errors in the language it asks for, checkboxes that take what
//! real forms send, and an error page that links back only to our own pages.

use serde_json::{json, Value};

use super::app_with;
use crate::helpers::{free_port, newsroom_body, sales_body, spawn_app, Backend, TestApp};

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
    assert_eq!(deleted.headers()["allow"], "GET, POST");
}

const FORM: &str = "name=A&email=a%40example.fr&organisation=O&topic=advertising&message=m";

async fn stored_opt_in(app: &TestApp, resp: reqwest::Response) -> bool {
    assert_eq!(resp.status(), 303);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let reference = location
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("reference="))
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
    // The box is labelled with the consent text itself (`site.consent_text`).
    assert!(page.contains("I agree that"), "{page}");
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
