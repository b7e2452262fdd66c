//! Versioned consent: each submission stores the version and the SHA-256 of the exact text
//! shown; the form describes itself; an unknown version is refused; a text changed without a
//! new version stops start-up.

use std::collections::HashMap;
use std::path::PathBuf;

use courrier::config::consent::{sha256_hex, ConsentTexts};
use courrier::config::{Settings, Sources};
use serde_json::{json, Value};
use sha2::Digest;

use crate::helpers::{newsroom_body, sales_body, spawn_app_without_worker, Answer, Backend};
use crate::on_both_backends;

fn stored(app: &crate::helpers::TestApp, reference: &str) -> (String, Option<String>) {
    let row = app.with_conn(|c| courrier::db::submissions::by_reference(c, reference).unwrap());
    (row.consent_version, row.consent_text_sha256)
}

async fn each_submission_stores_the_version_and_hash_of_the_text_shown(b: Backend) {
    let app = spawn_app_without_worker(b, 25).await;
    let form: Value = app.get("/v1/forms/newsroom").await.json().await.unwrap();
    assert_eq!(form["form"], "newsroom");
    assert_eq!(form["consent"]["version"], "2026-11");
    let fr = form["consent"]["text"]["fr"].as_str().unwrap().to_owned();
    let en = form["consent"]["text"]["en"].as_str().unwrap().to_owned();
    let hex = |t: &str| format!("{:x}", sha2::Sha256::digest(t.as_bytes()));
    assert_eq!(form["consent"]["sha256"]["fr"], hex(&fr));
    let names: Vec<&str> = form["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"article_published_at") && names.contains(&"consent_version"));
    assert_eq!(form["topics"][2]["value"], "right_of_reply");
    assert_eq!(form["topics"][2]["labels"]["fr"], "Droit de réponse");
    let sales: Value = app.get("/v1/forms/sales").await.json().await.unwrap();
    assert!(sales["fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == "marketing_opt_in"));
    assert_eq!(app.get("/v1/forms/other").await.status(), 404);

    // Without a version: the current one, with the hash of the text in the reader's language.
    let r: Value = app
        .post_json("newsroom", &newsroom_body())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        stored(&app, r["reference"].as_str().unwrap()),
        ("2026-11".into(), Some(hex(&fr)))
    );
    let mut english = sales_body();
    english["locale"] = json!("en");
    english["consent_version"] = json!("2026-11");
    let r: Value = app.post_json("sales", &english).await.json().await.unwrap();
    assert_eq!(
        stored(&app, r["reference"].as_str().unwrap()),
        ("2026-11".into(), Some(hex(&en)))
    );
    // The staff API shows it.
    let admin = app.staff("admin").await;
    let detail = app
        .get_as(
            &admin,
            &format!("/v1/submissions/{}", r["reference"].as_str().unwrap()),
        )
        .json_ok()
        .await;
    assert_eq!(detail["consent"]["version"], "2026-11");
    assert_eq!(detail["consent"]["text_sha256"], hex(&en));

    // An unknown version: 422 on the field, nothing stored.
    let before = app.count("submissions");
    let mut unknown = newsroom_body();
    unknown["consent_version"] = json!("1999-01");
    let resp = app.post_json("newsroom", &unknown).await;
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["fields"]["consent_version"][0]["code"],
        "unknown_consent_version"
    );
    assert_eq!(app.count("submissions"), before);
    assert_eq!(app.count("outbox"), 4);
}

async fn a_past_version_is_stored_as_sent_with_its_recorded_hash(b: Backend) {
    let app = crate::helpers::spawn_app_with(
        std::sync::Arc::new(crate::helpers::TestDb::new(b)),
        25,
        |s| {
            s.mail.run_worker = false;
            s.site.consent_history.insert(
                "2025-01".into(),
                ConsentTexts {
                    fr: sha256_hex("ancien texte"),
                    en: sha256_hex("old text"),
                },
            );
        },
    )
    .await;
    let mut body = newsroom_body();
    body["consent_version"] = json!("2025-01");
    let r: Value = app.post_json("newsroom", &body).await.json().await.unwrap();
    assert_eq!(
        stored(&app, r["reference"].as_str().unwrap()),
        ("2025-01".into(), Some(sha256_hex("ancien texte")))
    );
}

fn load(extra: &str) -> Result<Settings, String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("extra.toml");
    std::fs::write(&file, extra).unwrap();
    Settings::load(&Sources {
        environment: Some("test".into()),
        extra_file: Some(file),
        config_dir: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")),
        env_vars: Some(HashMap::new()),
    })
    .map_err(|e| e.to_string())
}

#[test]
fn a_text_changed_without_a_new_version_stops_start_up() {
    let changed = load("[site.consent_text]\nfr = \"Un autre texte.\"\nen = \"Another text.\"\n")
        .unwrap_err();
    assert!(
        changed.contains("changed without a new site.consent_version"),
        "{changed}"
    );
    assert!(
        changed.contains(&sha256_hex("Un autre texte.")),
        "{changed}"
    );
    // With a new version but no recorded hashes: start-up says which to record.
    let unrecorded = load(
        "[site]\nconsent_version = \"2026-12\"\n[site.consent_text]\nfr = \"Un autre texte.\"\nen = \"Another text.\"\n",
    )
    .unwrap_err();
    assert!(
        unrecorded.contains("site.consent_history.\"2026-12\""),
        "{unrecorded}"
    );
    // Recorded: it starts, and the old version stays known.
    let ok = load(&format!(
        "[site]\nconsent_version = \"2026-12\"\n[site.consent_text]\nfr = \"Un autre texte.\"\nen = \"Another text.\"\n[site.consent_history.\"2026-12\"]\nfr = \"{}\"\nen = \"{}\"\n",
        sha256_hex("Un autre texte."),
        sha256_hex("Another text.")
    ))
    .unwrap();
    assert!(ok.site.consent_history.contains_key("2026-11"));
}

on_both_backends!(
    each_submission_stores_the_version_and_hash_of_the_text_shown,
    a_past_version_is_stored_as_sent_with_its_recorded_hash,
);
