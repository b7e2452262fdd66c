//! Legal hold: staff set it through the API (with the version contract of every change) and the
//! console, it is audited, shown, and exempts the submission from the purge.

use serde_json::json;

use super::{age, count_where, months, planned, spawn_with};
use crate::console::{api_detail, Browser};
use crate::helpers::{Answer, Backend};
use crate::on_both_backends;

async fn a_hold_is_set_with_the_version_audited_and_exempts_from_the_purge(b: Backend) {
    let (app, settings) = spawn_with(b, |_| {}).await;
    let editor = app.staff("editor").await;
    let sales = app.staff("sales").await;
    let (reference, id) = app.submit("newsroom").await;
    let path = format!("/v1/submissions/{reference}");
    let detail = api_detail(&app, &editor, &reference).await;
    assert_eq!(detail["legal_hold"], false);
    let version = detail["version"].as_i64().unwrap();

    // The contract of every change: a stale version is refused, and nothing changes.
    let stale = app
        .patch_as(&editor, &path)
        .json(&json!({"legal_hold": true, "version": version - 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 409);
    let stale = app
        .patch_as(&editor, &path)
        .header("If-Match", format!("\"{}\"", version - 1))
        .json(&json!({"legal_hold": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
    assert_eq!(
        app.patch_as(&editor, &path)
            .json(&json!({"legal_hold": "yes"}))
            .status_code()
            .await,
        400
    );
    // Another desk's staff cannot see it, let alone hold it.
    assert_eq!(
        app.patch_as(&sales, &path)
            .json(&json!({"legal_hold": true}))
            .status_code()
            .await,
        404
    );
    assert_eq!(
        api_detail(&app, &editor, &reference).await["legal_hold"],
        false
    );

    let resp = app
        .patch_as(&editor, &path)
        .json(&json!({"legal_hold": true, "version": version}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["etag"].to_str().unwrap(),
        format!("\"{}\"", version + 1)
    );
    let changed: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(changed["legal_hold"], true);
    let detail = api_detail(&app, &editor, &reference).await;
    assert_eq!(detail["legal_hold"], true);
    let audited: Vec<&serde_json::Value> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "legal_hold")
        .collect();
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0]["actor"], editor.id);
    assert_eq!(audited[0]["detail"]["to"], true);
    // Setting it again changes nothing and audits nothing.
    app.patch_as(&editor, &path)
        .json(&json!({"legal_hold": true}))
        .json_ok()
        .await;
    assert_eq!(count_where(&app, "events", "kind", "legal_hold"), 1);
    assert_eq!(
        courrier::desk::retention::on_legal_hold(&app.pool, &id)
            .await
            .unwrap(),
        Some(true)
    );

    // Long past its period, it is neither listed nor purged.
    age(&app, &id, "resolved", months(60));
    assert!(planned(&app, &settings).await.is_empty());
    let done = courrier::desk::retention::purge(&app.pool, &settings)
        .await
        .unwrap();
    assert_eq!(done.submissions, 0);
    assert_eq!(count_where(&app, "submissions", "id", &id), 1);

    // Lifted, it goes at the next purge.
    app.patch_as(&editor, &path)
        .json(&json!({"legal_hold": false}))
        .json_ok()
        .await;
    age(&app, &id, "resolved", months(60));
    assert_eq!(planned(&app, &settings).await, vec![reference.clone()]);
    let done = courrier::desk::retention::purge(&app.pool, &settings)
        .await
        .unwrap();
    assert_eq!(done.submissions, 1);
    assert_eq!(count_where(&app, "tombstones", "reference", &reference), 1);
    assert_eq!(
        courrier::desk::retention::on_legal_hold(&app.pool, &id)
            .await
            .unwrap(),
        None
    );
}

async fn the_console_places_and_lifts_a_hold(b: Backend) {
    let (app, _) = spawn_with(b, |_| {}).await;
    let editor = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    let page_path = format!("/staff/submissions/{reference}");
    let page = browser.get(&page_path).await;
    assert!(
        page.body.contains("Conserver (litige)"),
        "the button is offered"
    );
    assert_eq!(page.hidden("legal_hold").as_deref(), Some("on"));
    let held = browser
        .post(
            &format!("{page_path}/hold"),
            &[
                ("csrf", &page.csrf()),
                ("version", &page.hidden("version").unwrap()),
                ("legal_hold", "on"),
            ],
        )
        .await;
    assert_eq!(held.status, 303);
    assert_eq!(held.location(), format!("{page_path}?done=hold"));
    assert_eq!(
        api_detail(&app, &editor, &reference).await["legal_hold"],
        true
    );
    let page = browser.get(&page_path).await;
    assert!(page.body.contains("Lever la conservation"));
    assert!(page
        .body
        .contains("la purge et l’effacement ne touchent pas"));

    // A stale page is refused with what changed; a bad value by its field.
    let stale = browser
        .post(
            &format!("{page_path}/hold"),
            &[
                ("csrf", &page.csrf()),
                ("version", "1"),
                ("legal_hold", "off"),
            ],
        )
        .await;
    assert_eq!(stale.status, 409);
    let bad = browser
        .post(
            &format!("{page_path}/hold"),
            &[("csrf", &page.csrf()), ("legal_hold", "maybe")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(
        api_detail(&app, &editor, &reference).await["legal_hold"],
        true
    );

    let page = browser.get(&page_path).await;
    let lifted = browser
        .post(
            &format!("{page_path}/hold"),
            &[
                ("csrf", &page.csrf()),
                ("version", &page.hidden("version").unwrap()),
                ("legal_hold", "off"),
            ],
        )
        .await;
    assert_eq!(lifted.status, 303);
    assert_eq!(
        api_detail(&app, &editor, &reference).await["legal_hold"],
        false
    );
}

async fn the_contract_documents_the_hold_and_the_report(b: Backend) {
    let (app, _) = spawn_with(b, |_| {}).await;
    let doc = app
        .get("/openapi.json")
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let schemas = &doc["components"]["schemas"];
    for schema in ["Submission", "PatchBody"] {
        assert!(
            schemas[schema].to_string().contains("\"legal_hold\""),
            "{schema} names legal_hold"
        );
    }
    let report = &doc["paths"]["/v1/reports/desk"]["get"];
    assert!(report.is_object(), "the report is documented");
    let content = &report["responses"]["200"]["content"];
    assert!(content["application/json"].is_object());
    assert!(content["text/csv"].is_object());
    assert!(report["responses"]["400"]["description"]
        .as_str()
        .is_some_and(|d| d.contains("from")));
}

on_both_backends!(
    a_hold_is_set_with_the_version_audited_and_exempts_from_the_purge,
    the_console_places_and_lifts_a_hold,
    the_contract_documents_the_hold_and_the_report,
);
