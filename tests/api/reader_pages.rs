//! The reader's pages after a post: the thank-you page speaks the post's language and links
//! back to the article when it is a page of the site; the consent wording is the configured
//! text everywhere it is shown, and the one stored with the submission.

use std::sync::Arc;

use crate::helpers::{spawn_app_with, Backend, MailSink, SinkMode, TestDb};

const SITE: &str = "https://journal.example";

fn location(resp: &reqwest::Response) -> String {
    resp.headers()["location"].to_str().unwrap().to_owned()
}

async fn the_thank_you_page_follows_the_post_and_links_back_to_the_article(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app_with(Arc::new(TestDb::new(b)), sink.port, |s| {
        s.site.origins = vec![SITE.to_owned()];
    })
    .await;
    let article = format!("{SITE}/vie-locale/horloges");
    let body = format!(
        "name=Ann&email=ann%40example.org&topic=tip&message=Hello&consent=on&locale=en\
         &article_url={}",
        url::form_urlencoded::byte_serialize(article.as_bytes()).collect::<String>()
    );
    let resp = app.post_form("newsroom", &body).await;
    assert_eq!(resp.status(), 303);
    let to = location(&resp);
    assert!(to.contains("lang=en"), "{to}");
    let page = app.get(&to).await.text().await.unwrap();
    assert!(page.contains("<html lang=\"en\">"), "{page}");
    assert!(page.contains("Thank you, your message has been received"));
    assert!(page.contains(&format!("href=\"{article}\"")), "{page}");

    // French by default, and an article elsewhere is not linked: the link goes to `/`.
    let body = "name=Zo%C3%A9&email=zoe%40example.fr&topic=tip&message=Bonjour&consent=on\
                &article_url=https%3A%2F%2Felsewhere.example%2Fpage";
    let resp = app.post_form("newsroom", body).await;
    assert_eq!(resp.status(), 303);
    let to = location(&resp);
    assert!(to.contains("lang=fr") && !to.contains("article="), "{to}");
    let page = app.get(&to).await.text().await.unwrap();
    assert!(page.contains("<html lang=\"fr\">"));
    assert!(page.contains("Merci, votre message a bien été reçu"));
    assert!(page.contains("href=\"/\""));
    // A forged query is held to the same rule.
    let forged = app
        .get("/merci?reference=ABCD-EFGH&lang=en&article=https%3A%2F%2Fevil.example%2F")
        .await
        .text()
        .await
        .unwrap();
    assert!(!forged.contains("evil.example"));
    assert!(forged.contains("href=\"/\""));
    let odd = app.get("/merci?lang=de").await.text().await.unwrap();
    assert!(odd.contains("<html lang=\"fr\">"));
}

async fn the_consent_wording_is_the_configured_text_everywhere(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app_with(Arc::new(TestDb::new(b)), sink.port, |_| {}).await;
    let settings = crate::helpers::test_settings("sqlite://unused", sink.port);
    let texts = &settings.site.consent_text;
    let fr = askama_escape(texts.get(courrier::domain::Locale::Fr));
    let en = askama_escape(texts.get(courrier::domain::Locale::En));

    let demo = app.get("/").await.text().await.unwrap();
    assert_eq!(demo.matches(&fr).count(), 2, "both forms carry the text");
    assert!(!demo.contains("soient utilisées pour traiter ma demande"));

    // The form again, after an error, in each language.
    for (locale, text) in [("fr", &fr), ("en", &en)] {
        let body = format!("name=A&email=a%40example.org&topic=tip&consent=on&locale={locale}");
        let again = app.post_form("newsroom", &body).await;
        assert_eq!(again.status(), 422);
        let page = again.text().await.unwrap();
        assert!(page.contains(text.as_str()), "{locale}: {page}");
    }

    // The API's description of the forms and the stored hash name the same text.
    let forms: serde_json::Value = app.get("/v1/forms/newsroom").await.json().await.unwrap();
    assert!(forms
        .to_string()
        .contains(texts.get(courrier::domain::Locale::Fr)));
    let resp = app
        .post_form(
            "newsroom",
            "name=A&email=a%40example.org&topic=tip&message=m&consent=on&locale=fr",
        )
        .await;
    let reference = location(&resp)
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("reference="))
        .unwrap()
        .to_owned();
    let row = app.with_conn(|c| courrier::db::submissions::by_reference(c, &reference).unwrap());
    use sha2::Digest;
    let expected: String = sha2::Sha256::digest(texts.get(courrier::domain::Locale::Fr).as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(row.consent_text_sha256.as_deref(), Some(expected.as_str()));
}

/// The text as an HTML page shows it.
fn askama_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

crate::on_both_backends!(
    the_thank_you_page_follows_the_post_and_links_back_to_the_article,
    the_consent_wording_is_the_configured_text_everywhere,
);
