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

/// The published corrections' ids, newest first, from the public JSON.
async fn public_items(app: &TestApp) -> Vec<Value> {
    let all = app
        .get("/corrections.json")
        .await
        .json::<Value>()
        .await
        .unwrap();
    all["items"].as_array().unwrap().clone()
}

/// Whether XML 1.0 allows every character of `text` (its `Char` production).
fn all_xml_chars(text: &str) -> bool {
    text.chars().all(|c| {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
            || c >= '\u{10000}'
    })
}

/// The field problems of a 422 answer.
async fn refused(resp: reqwest::Response) -> Value {
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "validation_failed", "{body}");
    body["fields"].clone()
}

async fn characters_xml_cannot_carry_are_refused_and_never_reach_the_feed(b: Backend) {
    let app = spawn_app_without_worker(b, 25).await;
    let editor = app.staff("editor").await;
    let mut body = newsroom_body();
    body["topic"] = json!("correction");
    let (reference, _) = post(&app, &body).await;
    let path = format!("/v1/submissions/{reference}");
    open(&app, &editor, &path).await;
    for bad in ['\u{FFFF}', '\u{FFFE}'] {
        let texts = [
            correction(ARTICLE_A, &format!("Le budget{bad} est de 3 M€."), true),
            correction(
                &format!("{ARTICLE_A}/{bad}"),
                "Le budget est de 3 M€.",
                true,
            ),
        ];
        for outcome in texts {
            let resp = app
                .patch_as(&editor, &path)
                .json(&json!({"status": "resolved", "outcome": outcome}))
                .send()
                .await
                .unwrap();
            let fields = refused(resp).await;
            assert_eq!(
                fields["outcome"][0]["code"], "invalid_character",
                "{fields}"
            );
        }
    }
    // Nothing was published, and the request is still open.
    assert_eq!(app.count("corrections"), 0);
    let good = correction(ARTICLE_A, "Le budget est de 3 M€.", true);
    corrected_again(&app, &editor, &path, good).await;
    let id = public_items(&app).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Nor through a change afterwards.
    for bad in ["\u{FFFF}", "\u{FFFE}"] {
        let resp = app
            .patch_as(&editor, &format!("/v1/corrections/{id}"))
            .json(&json!({"text": format!("Texte {bad}"), "article_url": format!("{ARTICLE_B}{bad}")}))
            .send()
            .await
            .unwrap();
        let fields = refused(resp).await;
        assert_eq!(fields["text"][0]["code"], "invalid_character", "{fields}");
        assert_eq!(
            fields["article_url"][0]["code"], "invalid_character",
            "{fields}"
        );
    }
    // A row written before these checks existed is still written out as well-formed XML.
    app.with_conn(|c| {
        use courrier::db::schema::corrections::dsl as k;
        use diesel::prelude::*;
        diesel::update(k::corrections.filter(k::id.eq(&id)))
            .set(k::text.eq("Avant\u{FFFF}après\u{FFFE} <b>&</b>"))
            .execute(c)
            .unwrap();
    });
    let feed = app.get("/corrections.atom").await.text().await.unwrap();
    assert!(all_xml_chars(&feed), "{feed:?}");
    assert!(feed.contains("Avant\u{FFFD}après\u{FFFD} "), "{feed}");
    assert!(!feed.contains("<b>"), "{feed}");
}

/// Resolves an open correction request with `outcome`.
async fn corrected_again(app: &TestApp, editor: &Staff, path: &str, outcome: Value) {
    let done = app
        .patch_as(editor, path)
        .json(&json!({"status": "resolved", "outcome": outcome}))
        .json_ok()
        .await;
    assert_eq!(done["outcome"], outcome);
}

/// The audit events about a correction, oldest first: (actor, kind, detail).
fn audit_of(app: &TestApp, id: &str) -> Vec<(String, String, Value)> {
    use courrier::db::schema::events::dsl as e;
    use diesel::prelude::*;
    app.with_conn(|c| {
        e::events
            .filter(e::kind.like("correction_%"))
            .order((e::created_at.asc(), e::id.asc()))
            .select((e::actor, e::kind, e::detail))
            .load::<(String, String, String)>(c)
            .unwrap()
    })
    .into_iter()
    .map(|(actor, kind, detail)| (actor, kind, serde_json::from_str(&detail).unwrap()))
    .filter(|(_, _, detail): &(String, String, Value)| detail["correction_id"] == id)
    .collect()
}

async fn a_published_correction_can_be_changed_and_unpublished(b: Backend) {
    let app = spawn_app_without_worker(b, 25).await;
    let editor = app.staff("editor").await;
    let admin = app.staff("admin").await;
    let reference = corrected(
        &app,
        &editor,
        correction(ARTICLE_A, "Le budget est de 30 M€.", true),
    )
    .await;
    let item = public_items(&app).await[0].clone();
    let id = item["id"].as_str().unwrap().to_owned();
    assert_eq!(item["updated_at"], item["published_at"], "{item}");
    // Published an hour ago, so that the change shows.
    app.with_conn(|c| {
        use diesel::prelude::*;
        let hour_ago = (courrier::db::now() - chrono::Duration::hours(1)).format("%F %T");
        diesel::sql_query(format!(
            "UPDATE corrections SET published_at = '{hour_ago}' WHERE id = '{id}'"
        ))
        .execute(c)
        .unwrap();
    });
    let published_at = public_items(&app).await[0]["published_at"].clone();

    // The desk's editor fixes its text and its address.
    let changed = app
        .patch_as(&editor, &format!("/v1/corrections/{id}"))
        .json(&json!({"text": "  Le budget est de 3 M€, non 30 M€.  ", "article_url": ARTICLE_B}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(changed["id"], id.as_str());
    assert_eq!(changed["text"], "Le budget est de 3 M€, non 30 M€.");
    assert_eq!(changed["article_url"], ARTICLE_B);
    assert_eq!(changed["public"], true);
    assert_eq!(changed["published_at"], published_at);
    let updated_at = changed["updated_at"].as_str().unwrap().to_owned();
    assert!(
        updated_at.as_str() > published_at.as_str().unwrap(),
        "{changed}"
    );
    let listed = public_items(&app).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["text"], "Le budget est de 3 M€, non 30 M€.");
    assert_eq!(listed[0]["article_url"], ARTICLE_B);
    assert_eq!(listed[0]["published_at"], published_at);
    assert_eq!(listed[0]["updated_at"], updated_at.as_str());
    // The feed's entry: published then, updated now; the feed as of its latest change.
    let feed = app.get("/corrections.atom").await.text().await.unwrap();
    let published = published_at.as_str().unwrap();
    assert!(
        feed.contains(&format!("<published>{published}</published>")),
        "{feed}"
    );
    assert!(
        feed.contains(&format!("<updated>{updated_at}</updated>\n<published>")),
        "{feed}"
    );
    assert_eq!(
        feed.matches(&format!("<updated>{updated_at}</updated>"))
            .count(),
        2,
        "{feed}"
    );
    assert!(feed.contains("Le budget est de 3 M€, non 30 M€."));

    // Unpublished by an admin: gone from every public form of the list, kept for the record.
    let gone = app
        .client
        .delete(app.url(&format!("/v1/corrections/{id}")))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 204);
    assert!(public_items(&app).await.is_empty());
    let feed = app.get("/corrections.atom").await.text().await.unwrap();
    assert_eq!(feed.matches("<entry>").count(), 0);
    assert!(!app
        .get("/corrections")
        .await
        .text()
        .await
        .unwrap()
        .contains("3 M€"));
    assert_eq!(app.count("corrections"), 1);
    // Unpublishing again changes nothing.
    let again = app
        .client
        .delete(app.url(&format!("/v1/corrections/{id}")))
        .bearer_auth(&editor.token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 204);
    // And published again.
    let back = app
        .patch_as(&editor, &format!("/v1/corrections/{id}"))
        .json(&json!({"public": true}))
        .json_ok()
        .await;
    assert_eq!(back["public"], true);
    assert_eq!(public_items(&app).await.len(), 1);

    // Every change is in the audit log, by whom, from what to what; about the request too.
    let audit = audit_of(&app, &id);
    let kinds: Vec<(&str, &str)> = audit
        .iter()
        .map(|(actor, kind, _)| (actor.as_str(), kind.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (editor.id.as_str(), "correction_changed"),
            (admin.id.as_str(), "correction_unpublished"),
            (editor.id.as_str(), "correction_changed"),
        ]
    );
    assert_eq!(audit[0].2["from"]["text"], "Le budget est de 30 M€.");
    assert_eq!(
        audit[0].2["to"]["text"],
        "Le budget est de 3 M€, non 30 M€."
    );
    assert_eq!(audit[0].2["from"]["article_url"], ARTICLE_A);
    assert_eq!(audit[0].2["to"]["article_url"], ARTICLE_B);
    assert_eq!(audit[2].2["to"]["public"], true);
    let history = app
        .get_as(&editor, &format!("/v1/submissions/{reference}"))
        .json_ok()
        .await;
    assert!(
        history.to_string().contains("correction_unpublished"),
        "{history}"
    );
}

async fn only_the_desks_staff_may_change_a_correction(b: Backend) {
    let app = spawn_app_without_worker(b, 25).await;
    let editor = app.staff("editor").await;
    let sales = app.staff("sales").await;
    corrected(
        &app,
        &editor,
        correction(ARTICLE_A, "Le maire s’appelle Durand.", true),
    )
    .await;
    let id = public_items(&app).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/corrections/{id}");
    let change = json!({"text": "Autre texte."});
    // The commercial desk has no say in the newsroom's corrections.
    assert_eq!(
        app.patch_as(&sales, &path)
            .json(&change)
            .status_code()
            .await,
        403
    );
    let delete = |who: Option<&Staff>, path: String| {
        let mut req = app.client.delete(app.url(&path));
        if let Some(who) = who {
            req = req.bearer_auth(&who.token);
        }
        req.status_code()
    };
    assert_eq!(delete(Some(&sales), path.clone()).await, 403);
    // Signed out: 401.
    let anonymous = app
        .client
        .patch(app.url(&path))
        .json(&change)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(delete(None, path.clone()).await, 401);
    // Unknown ids: 404.
    let unknown = format!("/v1/corrections/{}", uuid::Uuid::now_v7());
    assert_eq!(
        app.patch_as(&editor, &unknown)
            .json(&change)
            .status_code()
            .await,
        404
    );
    assert_eq!(delete(Some(&editor), unknown).await, 404);
    // Unknown fields and malformed bodies: 400; empty or over-long texts, bad addresses: 422.
    let bad = app
        .patch_as(&editor, &path)
        .json(&json!({"txt": "x"}))
        .status_code()
        .await;
    assert_eq!(bad, 400);
    let wrong_type = app
        .patch_as(&editor, &path)
        .json(&json!({"public": "yes"}))
        .status_code()
        .await;
    assert_eq!(wrong_type, 400);
    let resp = app
        .patch_as(&editor, &path)
        .json(&json!({"text": "  ", "article_url": "javascript:alert(1)"}))
        .send()
        .await
        .unwrap();
    let fields = refused(resp).await;
    assert_eq!(fields["text"][0]["code"], "required");
    assert_eq!(fields["article_url"][0]["code"], "invalid_url");
    // Nothing changed, and nothing was logged.
    assert_eq!(
        public_items(&app).await[0]["text"],
        "Le maire s’appelle Durand."
    );
    assert!(audit_of(&app, &id).is_empty());
}

async fn the_feeds_links_come_from_the_public_url_whatever_the_client_says(b: Backend) {
    const PUBLIC: &str = "https://courrier.journal.example/lecteurs";
    let app = crate::helpers::spawn_app_with(
        std::sync::Arc::new(crate::helpers::TestDb::new(b)),
        25,
        |s| {
            s.mail.run_worker = false;
            s.site.public_url = format!("{PUBLIC}/");
        },
    )
    .await;
    let editor = app.staff("editor").await;
    for text in ["Première.", "Seconde."] {
        corrected(&app, &editor, correction(ARTICLE_A, text, true)).await;
    }
    let query = serde_urlencoded::to_string([("article_url", ARTICLE_A)]).unwrap();
    for (name, value) in [
        ("host", "evil.example"),
        ("x-forwarded-host", "evil.example"),
        ("x-forwarded-proto", "gopher"),
        ("forwarded", "host=evil.example;proto=gopher"),
    ] {
        let feed = app
            .client
            .get(app.url(&format!("/corrections.atom?limit=1&{query}")))
            .header(name, value)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            !feed.contains("evil") && !feed.contains("gopher"),
            "{name}: {feed}"
        );
        assert!(
            feed.contains(&format!("<id>{PUBLIC}/corrections.atom</id>")),
            "{name}: {feed}"
        );
        let self_link = format!(
            "<link rel=\"self\" type=\"application/atom+xml\" href=\"{PUBLIC}/corrections.atom?"
        );
        assert!(feed.contains(&self_link), "{name}: {feed}");
        assert!(
            feed.contains(&format!("href=\"{PUBLIC}/corrections\"/>")),
            "{name}: {feed}"
        );
        let next = feed
            .split("<link rel=\"next\" type=\"application/atom+xml\" href=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("{name}: no next link in {feed}"))
            .replace("&amp;", "&")
            .replace("&#38;", "&");
        let rest = next
            .strip_prefix(PUBLIC)
            .unwrap_or_else(|| panic!("{name}: {next}"));
        // The next page, asked of this server: the older correction, alone.
        let second = app.get(rest).await.text().await.unwrap();
        assert_eq!(second.matches("<entry>").count(), 1, "{second}");
        assert!(second.contains("Première."), "{second}");
    }
}

on_both_backends!(
    corrections_are_listed_newest_first_without_the_reader,
    bad_paging_parameters_answer_400,
    characters_xml_cannot_carry_are_refused_and_never_reach_the_feed,
    a_published_correction_can_be_changed_and_unpublished,
    only_the_desks_staff_may_change_a_correction,
    the_feeds_links_come_from_the_public_url_whatever_the_client_says,
);
