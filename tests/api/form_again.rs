//! The reader's 422 page for an HTML form post: the form again with what was typed, each error
//! by its field, the same route, the honeypot, the first post's form token when it was genuine,
//! a link back limited to the site's origins, each language's typography, a `main` landmark.

use crate::helpers::{spawn_app, Backend};

fn field_value<'a>(page: &'a str, name: &str) -> Option<&'a str> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker)? + marker.len();
    Some(&page[start..start + page[start..].find('"')?])
}

async fn the_error_page_gives_the_form_back_as_it_was_typed(b: Backend) {
    let app = spawn_app(b, crate::helpers::free_port()).await;
    let token = app
        .get("/v1/forms/newsroom/token")
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = serde_urlencoded::to_string([
        ("name", "Zoé <Martin>"),
        ("email", "zoe@"),
        ("topic", "correction"),
        ("subject", "Une date fausse"),
        ("message", "L’article dit 1998,\nc’était 1989."),
        ("consent", "on"),
        ("locale", "en"),
        ("article_url", "https://journal.example/a"),
        ("form_token", &token),
        ("website", ""),
    ])
    .unwrap();
    let resp = app
        .client
        .post(app.url("/v1/forms/newsroom"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("referer", "https://elsewhere.example/page")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let page = resp.text().await.unwrap();
    assert!(page.contains("<main>"));
    assert!(page.contains("<form method=\"post\" action=\"/v1/forms/newsroom\""));
    assert_eq!(field_value(&page, "name"), Some("Zoé &#60;Martin&#62;"));
    assert_eq!(field_value(&page, "email"), Some("zoe@"));
    assert_eq!(field_value(&page, "subject"), Some("Une date fausse"));
    assert!(page.contains(">L’article dit 1998,\nc’était 1989.</textarea>"));
    assert!(page.contains("<option value=\"correction\" selected>"));
    assert!(page.contains("name=\"consent\" value=\"on\" checked"));
    assert_eq!(field_value(&page, "form_token"), Some(token.as_str()));
    assert_eq!(
        field_value(&page, "article_url"),
        Some("https://journal.example/a")
    );
    assert_eq!(field_value(&page, "locale"), Some("en"));
    assert!(page.contains("name=\"website\" value=\"\" tabindex=\"-1\""));
    assert!(page.contains("id=\"a-email-error\">This e-mail address is not valid."));
    // The referring page is on no origin of ours: the link goes home.
    assert!(page.contains("<a href=\"/\">"));
    assert_eq!(app.count("submissions"), 0);
}

async fn a_forged_token_is_replaced_and_other_errors_have_a_main_landmark(b: Backend) {
    let app = spawn_app(b, crate::helpers::free_port()).await;
    let resp = app
        .post_form(
            "newsroom",
            "name=A&email=nope&topic=tip&message=m&consent=on&form_token=newsroom.1.forged",
        )
        .await;
    assert_eq!(resp.status(), 422);
    let page = resp.text().await.unwrap();
    let token = field_value(&page, "form_token").unwrap();
    assert_ne!(token, "newsroom.1.forged");
    assert!(token.starts_with("newsroom."));
    assert!(page.contains("Cette adresse e-mail n’est pas valide."));
    // Other HTML errors keep the short page, with its landmark too.
    let en = app
        .client
        .post(app.url("/v1/forms/newsroom"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=A&unknown_field=1&locale=en")
        .send()
        .await
        .unwrap();
    assert_eq!(en.status(), 400);
    let body = en.text().await.unwrap();
    assert!(body.contains("<main>"), "{body}");
}

crate::on_both_backends!(
    the_error_page_gives_the_form_back_as_it_was_typed,
    a_forged_token_is_replaced_and_other_errors_have_a_main_landmark,
);
