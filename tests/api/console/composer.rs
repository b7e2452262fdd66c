//! Issue 22, items 2 and 3, through the console: the composer first on the page, the reply
//! with its status and assignee in one post, an illegal move or a thread that changed shown
//! again with the text kept (and "send anyway"), and the forms' non-overlapping changes merged.

use serde_json::json;

use super::{api_detail, Browser};
use crate::helpers::{spawn_app_without_worker, Answer, Backend};

fn staff_replies(app: &crate::helpers::TestApp) -> i64 {
    app.count("outbox WHERE purpose = 'staff_reply'")
}

/// The composer's fields as its page drew them, with these typed in.
fn composer<'a>(page: &'a super::Page, typed: &[(&'a str, &'a str)]) -> Vec<(&'a str, String)> {
    let mut fields: Vec<(&str, String)> = vec![
        ("csrf", page.csrf()),
        ("version", page.hidden("version").unwrap()),
        ("seen", page.hidden("seen").unwrap()),
        ("thread_seen", page.hidden("thread_seen").unwrap()),
    ];
    fields.extend(typed.iter().map(|(k, v)| (*k, (*v).to_owned())));
    fields
}

async fn post(b: &Browser<'_>, path: &str, fields: &[(&str, String)]) -> super::Page {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post(path, &fields).await
}

async fn the_composer_comes_first_and_shows_the_current_status(b: Backend) {
    let app = spawn_app_without_worker(b, 9).await;
    let editor = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    let page = browser
        .get(&format!("/staff/submissions/{reference}"))
        .await;
    let body = &page.body;
    let reply = body.find("id=\"composer\"").expect("the composer");
    let note = body.find("id=\"note-body\"").unwrap();
    let facts = body.find("id=\"facts-title\"").unwrap();
    assert!(reply < note && reply < facts, "the reply box comes first");
    // Its status select shows the current status, and the moves a reply can make from it.
    let select = &body[body.find("id=\"reply-status\"").unwrap()..];
    let select = &select[..select.find("</select>").unwrap()];
    assert!(
        select.contains("<option value=\"new\" selected>"),
        "{select}"
    );
    for offered in ["open", "waiting", "resolved", "spam"] {
        assert!(select.contains(&format!("<option value=\"{offered}\">")));
    }
    let assignee = &body[body.find("id=\"reply-assignee\"").unwrap()..];
    assert!(assignee
        .starts_with("id=\"reply-assignee\" name=\"assignee\">\n<option value=\"none\" selected>"));
    // The status form shows the current status too, not the next move.
    let status = &body[body.find("id=\"status\"").unwrap()..];
    assert!(status.contains("<option value=\"new\" selected>"));
    assert_eq!(page.hidden("thread_seen").as_deref(), Some(""));
}

async fn one_post_assigns_replies_and_closes(b: Backend) {
    let app = spawn_app_without_worker(b, 9).await;
    let editor = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    let page_path = format!("/staff/submissions/{reference}");
    let page = browser.get(&page_path).await;
    let fields = composer(
        &page,
        &[
            ("subject", ""),
            ("body", "C'est réparé, merci."),
            ("status", "resolved"),
            ("assignee", "me"),
        ],
    );
    let sent = post(&browser, &format!("{page_path}/replies"), &fields).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(sent.location(), format!("{page_path}?done=replies"));
    let d = api_detail(&app, &editor, &reference).await;
    assert_eq!(d["status"], "resolved");
    assert_eq!(d["assignee_id"], editor.id.as_str());
    assert_eq!(d["messages"][0]["body"], "C'est réparé, merci.");
    assert_eq!(staff_replies(&app), 1);
    let opened = d["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["detail"]["why"] == "first_action")
        .expect("opened by the first act");
    assert_eq!(opened["actor"], editor.id.as_str());
    // The next page shows the reply, and its composer the new thread's newest item.
    let after = browser.get(&page_path).await;
    assert_eq!(
        after.hidden("thread_seen").unwrap(),
        d["messages"][0]["id"].as_str().unwrap()
    );
}

async fn an_illegal_move_shows_the_form_again_with_the_text(b: Backend) {
    let app = spawn_app_without_worker(b, 9).await;
    let editor = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    for status in ["open", "resolved"] {
        app.patch_as(&editor, &format!("/v1/submissions/{reference}"))
            .json(&json!({ "status": status }))
            .json_ok()
            .await;
    }
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    let page_path = format!("/staff/submissions/{reference}");
    let page = browser.get(&page_path).await;
    let fields = composer(
        &page,
        &[("body", "Texte tapé à garder"), ("status", "waiting")],
    );
    let refused = post(&browser, &format!("{page_path}/replies"), &fields).await;
    assert_eq!(refused.status, 409);
    assert!(refused.body.contains("Texte tapé à garder</textarea>"));
    assert!(refused.body.contains("id=\"reply-status-error\""));
    assert!(refused
        .body
        .contains("Ce changement de statut n’est pas permis."));
    assert_eq!(staff_replies(&app), 0);
    let d = api_detail(&app, &editor, &reference).await;
    assert_eq!(d["status"], "resolved");
    assert!(d["messages"].as_array().unwrap().is_empty());
}

async fn new_items_are_shown_with_send_anyway(b: Backend) {
    let app = spawn_app_without_worker(b, 9).await;
    let alice = app.staff("editor").await;
    let bob = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    let browser = Browser::new(&app);
    browser.sign_in(&alice).await;
    let page_path = format!("/staff/submissions/{reference}");
    let page = browser.get(&page_path).await;
    // Bob answers while Alice writes.
    app.post_as(&bob, &format!("/v1/submissions/{reference}/replies"))
        .json(&json!({"body": "Bob a déjà répondu."}))
        .json_ok()
        .await;
    let fields = composer(&page, &[("body", "Ma réponse à moi"), ("status", "new")]);
    let held = post(&browser, &format!("{page_path}/replies"), &fields).await;
    assert_eq!(held.status, 409);
    assert!(held.body.contains("id=\"thread-changed\""));
    assert!(held.body.contains("Bob a déjà répondu."));
    assert!(held.body.contains("Ma réponse à moi</textarea>"));
    assert!(held
        .body
        .contains("name=\"confirm\" value=\"1\" id=\"send-anyway\">Envoyer quand même"));
    assert_eq!(staff_replies(&app), 1, "Alice's reply was not sent");

    // "Send anyway" posts the same form with `confirm=1`.
    let mut again = composer(&held, &[("body", "Ma réponse à moi"), ("confirm", "1")]);
    again.retain(|(k, _)| *k != "thread_seen");
    again.push(("thread_seen", page.hidden("thread_seen").unwrap()));
    let sent = post(&browser, &format!("{page_path}/replies"), &again).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(staff_replies(&app), 2);
    let d = api_detail(&app, &alice, &reference).await;
    assert_eq!(d["messages"][1]["body"], "Ma réponse à moi");
}

async fn forms_merge_other_fields_and_refuse_the_same_one(b: Backend) {
    let app = spawn_app_without_worker(b, 9).await;
    let alice = app.staff("editor").await;
    let bob = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    let browser = Browser::new(&app);
    browser.sign_in(&alice).await;
    let page_path = format!("/staff/submissions/{reference}");
    let page = browser.get(&page_path).await;
    app.patch_as(&bob, &format!("/v1/submissions/{reference}"))
        .json(&json!({"priority": "urgent"}))
        .json_ok()
        .await;
    // "Assign to me" from the page drawn before Bob's change: merged, and it opens it.
    let fields = [
        ("csrf", page.csrf()),
        ("version", page.hidden("version").unwrap()),
        ("seen", page.hidden("seen").unwrap()),
        ("assignee", "me".to_owned()),
    ];
    let done = post(&browser, &format!("{page_path}/assign"), &fields).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let d = api_detail(&app, &alice, &reference).await;
    assert_eq!(d["assignee_id"], alice.id.as_str());
    assert_eq!(d["priority"], "urgent");
    assert_eq!(d["status"], "open");
    // The priority, from the same old page: Bob changed it since, so it is refused.
    let fields = [
        ("csrf", page.csrf()),
        ("version", page.hidden("version").unwrap()),
        ("seen", page.hidden("seen").unwrap()),
        ("priority", "low".to_owned()),
    ];
    let refused = post(&browser, &format!("{page_path}/priority"), &fields).await;
    assert_eq!(refused.status, 409);
    assert!(refused.body.contains("id=\"conflict\""));
    assert_eq!(
        api_detail(&app, &alice, &reference).await["priority"],
        "urgent"
    );
}

crate::on_both_backends!(
    the_composer_comes_first_and_shows_the_current_status,
    one_post_assigns_replies_and_closes,
    an_illegal_move_shows_the_form_again_with_the_text,
    new_items_are_shown_with_send_anyway,
    forms_merge_other_fields_and_refuse_the_same_one,
);
