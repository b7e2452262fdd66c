//! CORS on the public forms for the site's origins only, none on the staff API, and the
//! security headers every response carries.

use std::sync::Arc;

use crate::helpers::{free_port, newsroom_body, spawn_app_with, Backend, TestDb};

const SITE: &str = "https://journal.example";

async fn app() -> crate::helpers::TestApp {
    spawn_app_with(Arc::new(TestDb::new(Backend::Sqlite)), free_port(), |s| {
        s.site.origins = vec![SITE.into()];
    })
    .await
}

#[tokio::test]
async fn cors_answers_only_the_sites_own_origins() {
    let app = app().await;
    let post = |origin: &'static str| {
        app.client
            .post(app.url("/v1/forms/newsroom"))
            .header("origin", origin)
            .json(&newsroom_body())
            .send()
    };
    let ours = post(SITE).await.unwrap();
    assert_eq!(ours.status(), 201);
    assert_eq!(
        ours.headers()["access-control-allow-origin"],
        SITE,
        "an exact echo"
    );
    assert!(!ours
        .headers()
        .contains_key("access-control-allow-credentials"));
    assert_eq!(ours.headers()["vary"], "Origin");
    for other in [
        "https://evil.example",
        "null",
        "https://journal.example.evil.example",
    ] {
        let resp = post(other).await.unwrap();
        assert!(
            !resp.headers().contains_key("access-control-allow-origin"),
            "{other}"
        );
    }
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/v1/forms/sales"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let ok = preflight(SITE).await.unwrap();
    assert_eq!(ok.status(), 204);
    assert_eq!(ok.headers()["access-control-allow-origin"], SITE);
    assert_eq!(ok.headers()["access-control-allow-methods"], "POST");
    let allowed = ok.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(allowed.contains("content-type"), "{allowed}");
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(!refused
        .headers()
        .contains_key("access-control-allow-origin"));
    // The staff API never answers CORS, whatever the origin.
    let staff = app
        .client
        .get(app.url("/v1/auth/me"))
        .header("origin", SITE)
        .send()
        .await
        .unwrap();
    assert!(!staff.headers().contains_key("access-control-allow-origin"));
    let staff_preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/v1/auth/login"))
        .header("origin", SITE)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(!staff_preflight
        .headers()
        .contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn every_response_carries_security_headers_and_pages_a_strict_policy() {
    let app = app().await;
    let json = app.post_json("newsroom", &newsroom_body()).await;
    assert_eq!(json.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        json.headers()["referrer-policy"],
        "strict-origin-when-cross-origin"
    );
    assert!(!json.headers().contains_key("content-security-policy"));
    let page = app.get("/").await;
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    for part in [
        "default-src 'none'",
        "style-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'self' https://journal.example",
    ] {
        assert!(csp.contains(part), "{part} in {csp}");
    }
    assert!(!csp.contains("unsafe-inline"));
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("<style") && !html.contains("style=\""),
        "no inline styles"
    );
    let css = app.get("/assets/courrier.css").await;
    assert_eq!(css.status(), 200);
    assert!(css.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    let error_page = app
        .post_form("newsroom", "name=A&email=nope&topic=tip&message=m")
        .await;
    assert_eq!(error_page.status(), 422);
    assert!(error_page.headers().contains_key("content-security-policy"));
    let missing = app.get("/nope").await;
    assert_eq!(missing.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn a_handlers_own_security_header_wins_over_the_default() {
    let app = app().await;
    let answer = app
        .client
        .post(app.url("/v1/forms/sales"))
        .json(&crate::helpers::sales_body())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201);
    let reference: serde_json::Value = answer.json().await.unwrap();
    let reference = reference["reference"].as_str().unwrap().to_owned();
    // The link the sales e-mails carry, signed as the running service signs it.
    let desk = courrier::desk::Context::open(
        crate::helpers::test_settings(&app.db.url, free_port()),
        Arc::new(courrier::instruments::Instruments::new()),
    )
    .await
    .unwrap();
    let link = courrier::desk::privacy::optout_link(&desk, &reference, courrier::db::now());
    let token = link.rsplit('/').next().unwrap();
    let page = app.get(&format!("/v1/optout/{token}")).await;
    assert_eq!(page.status(), 200);
    // The token is in the page's URL: the page says never to send it on, whatever the default.
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert_eq!(
        page.headers().get_all("referrer-policy").iter().count(),
        1,
        "one policy, not two"
    );
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    // Elsewhere the default stays.
    let other = app.get("/").await;
    assert_eq!(
        other.headers()["referrer-policy"],
        "strict-origin-when-cross-origin"
    );
}
