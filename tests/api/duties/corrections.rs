//! Corrections owed to all readers: resolved with what was published, listed on a public page,
//! in JSON for any origin and in an Atom feed; never the reader who asked.

use serde_json::{json, Value};

use super::{open, post};
use crate::helpers::{newsroom_body, spawn_app_without_worker, Answer, Backend, Staff, TestApp};
use crate::on_both_backends;

const ARTICLE_A: &str = "https://journal.example/politique/budget";
const ARTICLE_B: &str = "https://journal.example/sport/finale";

/// A correction request resolved with the given outcome; returns its reference.
async fn corrected(app: &TestApp, editor: &Staff, outcome: Value) -> String {
    let mut body = newsroom_body();
    body["topic"] = json!("correction");
    let (reference, _) = post(app, &body).await;
    let path = format!("/v1/submissions/{reference}");
    open(app, editor, &path).await;
    let done = app
        .patch_as(editor, &path)
        .json(&json!({"status": "resolved", "outcome": outcome}))
        .json_ok()
        .await;
    assert_eq!(done["outcome"], outcome);
    reference
}

fn correction(article: &str, text: &str, public: bool) -> Value {
    json!({"kind": "corrected", "article_url": article, "text": text, "public": public})
}

async fn corrections_are_listed_newest_first_without_the_reader(b: Backend) {
    let app = spawn_app_without_worker(b, 25).await;
    let editor = app.staff("editor").await;
    corrected(
        &app,
        &editor,
        correction(ARTICLE_A, "Le budget est de 3 M€, non 30 M€.", true),
    )
    .await;
    corrected(
        &app,
        &editor,
        correction(ARTICLE_B, "Interne seulement.", false),
    )
    .await;
    corrected(
        &app,
        &editor,
        correction(ARTICLE_B, "Le score était 2 <b>à</b> 1 & non 3-1.", true),
    )
    .await;
    corrected(
        &app,
        &editor,
        correction(ARTICLE_A, "Le maire s’appelle Durand.", true),
    )
    .await;
    // A correction request may also close without one.
    let mut body = newsroom_body();
    body["topic"] = json!("correction");
    let (plain, _) = post(&app, &body).await;
    open(&app, &editor, &format!("/v1/submissions/{plain}")).await;
    app.patch_as(&editor, &format!("/v1/submissions/{plain}"))
        .json(&json!({"status": "resolved"}))
        .json_ok()
        .await;

    let resp = app.get("/corrections.json").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    let raw = resp.text().await.unwrap();
    for private in ["Zoé", "zoe.martin", "médiathèque", "Interne seulement"] {
        assert!(!raw.contains(private), "{private} in {raw}");
    }
    let all: Value = serde_json::from_str(&raw).unwrap();
    let texts: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "Le maire s’appelle Durand.",
            "Le score était 2 <b>à</b> 1 & non 3-1.",
            "Le budget est de 3 M€, non 30 M€."
        ]
    );
    assert_eq!(all["next"], Value::Null);

    // Paging, and one article's own corrections.
    let first = app
        .get("/corrections.json?limit=2")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let next = first["next"].as_str().unwrap();
    let second = app
        .get(&format!("/corrections.json?limit=2&cursor={next}"))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        second["items"][0]["text"],
        "Le budget est de 3 M€, non 30 M€."
    );
    assert_eq!(second["next"], Value::Null);
    let query = serde_urlencoded::to_string([("article_url", ARTICLE_A)]).unwrap();
    let mine = app
        .get(&format!("/corrections.json?{query}"))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 2);
    assert!(mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["article_url"] == ARTICLE_A));

    // The page, in both languages, escaped.
    let page = app.get("/corrections").await.text().await.unwrap();
    assert!(page.contains("Rectificatifs") && page.contains("Le maire s’appelle Durand."));
    assert!(
        page.contains("Le score était 2 ") && !page.contains("<b>"),
        "{page}"
    );
    assert!(!page.contains("Zoé") && !page.contains("Interne seulement"));
    let english = app.get("/corrections?lang=en").await.text().await.unwrap();
    assert!(english.contains("lang=\"en\"") && english.contains("most recent first"));
    let paged = app.get("/corrections?limit=1").await.text().await.unwrap();
    assert!(paged.contains("rel=\"next\""));

    // The feed: Atom, escaped, with the same entries.
    let resp = app.get("/corrections.atom").await;
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/atom+xml"));
    let feed = resp.text().await.unwrap();
    assert_eq!(feed.matches("<entry>").count(), 3);
    assert!(
        feed.contains("Le score était 2 ") && !feed.contains("<b>"),
        "{feed}"
    );
    assert!(!feed.contains("Zoé"));
    let one = app
        .get(&format!("/corrections.atom?{query}&limit=1"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(one.matches("<entry>").count(), 1);
    assert!(one.contains("rel=\"next\""));
}

async fn bad_paging_parameters_answer_400(b: Backend) {
    let app = spawn_app_without_worker(b, 25).await;
    for path in [
        "/corrections.json?limit=0",
        "/corrections.json?limit=101",
        "/corrections.json?cursor=bm9wZQ",
        "/corrections.atom?cursor=***",
        "/corrections?lang=de",
        "/corrections.json?article_url=%01",
        "/corrections.json?unknown=1",
    ] {
        assert_eq!(app.get(path).await.status(), 400, "{path}");
    }
    let empty = app.get("/corrections").await.text().await.unwrap();
    assert!(empty.contains("Aucune correction publiée."));
}

on_both_backends!(
    corrections_are_listed_newest_first_without_the_reader,
    bad_paging_parameters_answer_400,
);
