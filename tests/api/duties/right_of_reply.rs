//! A right of reply's publication date and its closing outcome.

use serde_json::{json, Value};

use super::{mails_of, post, right_of_reply};
use crate::helpers::{spawn_app_without_worker, Answer, Backend, MailSink, SinkMode};

use crate::on_both_backends;

async fn a_request_over_three_months_after_publication_is_flagged_and_kept(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app_without_worker(b, sink.port).await;
    let editor = app.staff("editor").await;
    let (late, _) = post(&app, &right_of_reply(Some(100))).await;
    let (timely, _) = post(&app, &right_of_reply(Some(20))).await;
    let (undated, _) = post(&app, &right_of_reply(None)).await;
    let detail = |r: String| {
        app.get_as(&editor, &format!("/v1/submissions/{r}"))
            .json_ok()
    };
    let late = detail(late).await;
    assert_eq!(late["flags"], json!(["out_of_time"]));
    assert_eq!(late["status"], "new", "kept and handled, never refused");
    let timely = detail(timely).await;
    assert_eq!(timely["flags"], json!([]));
    assert!(timely["article_published_at"].as_str().unwrap().len() == 10);
    let undated = detail(undated.clone()).await;
    assert_eq!(undated["flags"], json!([]));
    assert_eq!(undated["article_published_at"], Value::Null);

    // Staff set the date later: the flag follows, and the change is audited.
    let date = (chrono::Utc::now().date_naive() - chrono::Duration::days(120)).to_string();
    let changed = app
        .patch_as(
            &editor,
            &format!(
                "/v1/submissions/{undated}",
                undated = undated["reference"].as_str().unwrap()
            ),
        )
        .json(&json!({"article_published_at": date}))
        .json_ok()
        .await;
    assert_eq!(changed["flags"], json!(["out_of_time"]));
    assert_eq!(changed["article_published_at"], json!(date));
    let again = detail(undated["reference"].as_str().unwrap().to_owned()).await;
    assert!(again["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["detail"]["field"] == "article_published_at"));
    let cleared = app
        .patch_as(
            &editor,
            &format!("/v1/submissions/{}", undated["reference"].as_str().unwrap()),
        )
        .json(&json!({"article_published_at": null}))
        .json_ok()
        .await;
    assert_eq!(cleared["flags"], json!([]));
}

async fn a_bad_publication_date_is_refused_and_nothing_is_stored(b: Backend) {
    let app = spawn_app_without_worker(b, 25).await;
    for bad in [
        "2026-02-30",
        "1/2/2026",
        " 2026-1-01",
        "2026-1-1",
        "+2026-1-01",
    ] {
        let mut body = right_of_reply(None);
        body["article_published_at"] = json!(bad);
        let resp = app.post_json("newsroom", &body).await;
        assert_eq!(resp.status(), 422, "{bad}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(
            body["fields"]["article_published_at"][0]["code"],
            "invalid_date"
        );
    }
    assert_eq!(app.count("submissions"), 0);
    let editor = app.staff("editor").await;
    let (reference, _) = post(&app, &right_of_reply(None)).await;
    let resp = app
        .patch_as(&editor, &format!("/v1/submissions/{reference}"))
        .json(&json!({"article_published_at": "yesterday"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
}

async fn a_right_of_reply_is_resolved_only_with_its_outcome(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app_without_worker(b, sink.port).await;
    let editor = app.staff("editor").await;
    let (reference, id) = post(&app, &right_of_reply(Some(10))).await;
    let path = format!("/v1/submissions/{reference}");
    super::open(&app, &editor, &path).await;

    let resp = app
        .patch_as(&editor, &path)
        .json(&json!({"status": "resolved"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "outcome_required");
    let unchanged = app.get_as(&editor, &path).json_ok().await;
    assert_eq!(unchanged["status"], "open");
    assert_eq!(unchanged["version"], 2);

    // An outcome that does not fit, or without the move to resolved, is refused too.
    for (patch, code) in [
        (
            json!({"status": "resolved", "outcome": {"kind": "corrected", "article_url": "https://journal.example/a", "text": "x", "public": true}}),
            "outcome_not_for_topic",
        ),
        (
            json!({"outcome": {"kind": "refused", "grounds": "too_long"}}),
            "outcome_without_resolving",
        ),
        (
            json!({"status": "resolved", "outcome": {"kind": "inserted", "url": "ftp://x", "published_at": "2026-12-01"}}),
            "invalid_url",
        ),
    ] {
        let resp = app
            .patch_as(&editor, &path)
            .json(&patch)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 422, "{patch}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["fields"]["outcome"][0]["code"], code, "{patch}");
    }
    let resp = app
        .patch_as(&editor, &path)
        .json(&json!({"status": "resolved", "outcome": {"kind": "refused", "grounds": "rude"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400, "unknown grounds");
    assert_eq!(
        mails_of(&app, &id).len(),
        2,
        "only the intake's e-mails so far"
    );

    let refused = app
        .patch_as(&editor, &path)
        .json(&json!({"status": "resolved", "outcome": {
            "kind": "refused", "grounds": "third_party_interest", "note": "Elle met en cause un tiers."}}))
        .json_ok()
        .await;
    assert_eq!(refused["status"], "resolved");
    assert_eq!(refused["outcome"]["kind"], "refused");
    assert_eq!(refused["outcome"]["grounds"], "third_party_interest");
    let detail = app.get_as(&editor, &path).json_ok().await;
    let event = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "outcome")
        .expect("the outcome is in the audit log");
    assert_eq!(event["detail"]["grounds"], "third_party_interest");
    assert_eq!(event["actor"], editor.id);

    app.dispatch_all_pending().await;
    let mails = sink.wait_for(3).await;
    let told = mails
        .iter()
        .find(|m| {
            m.to == ["zoe.martin@example.fr"]
                && m.header("Subject").unwrap().contains("droit de réponse")
        })
        .expect("the requester is told");
    let text = told.body("text/plain");
    assert!(text.contains("intérêt légitime d’un tiers"), "{text}");
    assert!(text.contains("Elle met en cause un tiers."), "{text}");
    assert!(text.contains(&reference));
    let id = detail["id"].as_str().unwrap();
    let purposes: Vec<String> = mails_of(&app, id).into_iter().map(|m| m.0).collect();
    assert_eq!(
        purposes,
        ["team_notification", "reader_ack", "reader_outcome"]
    );
}

async fn an_inserted_reply_is_told_with_its_address(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app_without_worker(b, sink.port).await;
    let editor = app.staff("editor").await;
    let mut body = right_of_reply(Some(3));
    body["locale"] = json!("en");
    let (reference, _) = post(&app, &body).await;
    let path = format!("/v1/submissions/{reference}");
    let url = "https://journal.example/droit-de-reponse/42";
    super::open(&app, &editor, &path).await;
    let done = app
        .patch_as(&editor, &path)
        .json(&json!({"status": "resolved", "outcome": {
            "kind": "inserted", "url": url, "published_at": "2026-12-02"}}))
        .json_ok()
        .await;
    assert_eq!(
        done["outcome"],
        json!({"kind": "inserted", "url": url, "published_at": "2026-12-02"})
    );
    app.dispatch_all_pending().await;
    let mails = sink.wait_for(3).await;
    let told = mails
        .iter()
        .find(|m| {
            m.header("Subject")
                .unwrap()
                .starts_with("Your right of reply")
        })
        .expect("the requester is told, in English");
    assert!(told.body("text/plain").contains(url));
    assert!(told.body("text/html").contains(url));
}

on_both_backends!(
    a_request_over_three_months_after_publication_is_flagged_and_kept,
    a_bad_publication_date_is_refused_and_nothing_is_stored,
    a_right_of_reply_is_resolved_only_with_its_outcome,
    an_inserted_reply_is_told_with_its_address,
);
