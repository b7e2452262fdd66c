//! One home per rule: who may see and be told of a submission holds where the effect happens
//! (assignment, every e-mail composed, every e-mail sent), held spam sends nothing, every e-mail
//! to a reader is answerable, and the API and the console answer alike for each role.

use serde_json::{json, Value};

use crate::console::Browser;
use crate::duties::{mails_of, move_deadline, open, post, right_of_reply};
use crate::helpers::{Answer, Backend, MailSink, ReceivedMail, SinkMode, Staff, TestApp};
use crate::inbound::{address_of, answer, message, post_mime, spawn_inbound_app_with};

const DIRECTOR: &str = "direction@localhost";

/// The e-mail to the reader among those taken at the listener (the acknowledgement).
fn to_reader(mails: &[ReceivedMail]) -> ReceivedMail {
    mails
        .iter()
        .find(|m| m.to == ["zoe.martin@example.fr"])
        .expect("the reader's acknowledgement")
        .clone()
}

/// An editorial submission posted, its two e-mails taken at the listener, and assigned to a
/// new editor. Returns (reference, id, acknowledgement, editor).
async fn assigned(app: &TestApp, sink: &MailSink) -> (String, String, ReceivedMail, Staff) {
    let (reference, id) = app.submit("newsroom").await;
    let mails = sink.wait_for(2).await;
    let ack = to_reader(&mails);
    let editor = app.staff("editor").await;
    app.patch_as(&editor, &format!("/v1/submissions/{id}"))
        .json(&json!({"status": "open", "assignee": "me"}))
        .json_ok()
        .await;
    (reference, id, ack, editor)
}

async fn set_account(app: &TestApp, admin: &Staff, who: &Staff, change: Value) {
    app.client
        .patch(app.url(&format!("/v1/users/{}", who.id)))
        .bearer_auth(&admin.token)
        .json(&change)
        .json_ok()
        .await;
}

/// The submission as an admin sees it.
async fn detail(app: &TestApp, admin: &Staff, id: &str) -> Value {
    app.get_as(admin, &format!("/v1/submissions/{id}"))
        .json_ok()
        .await
}

async fn a_role_change_unassigns_and_the_readers_answer_goes_to_the_team(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app_with(b, sink.port, |_| {}).await;
    let admin = app.staff("admin").await;
    let (_, id, ack, editor) = assigned(&app, &sink).await;
    assert_eq!(detail(&app, &admin, &id).await["assignee_id"], editor.id);

    set_account(&app, &admin, &editor, json!({"role": "sales"})).await;
    let now = detail(&app, &admin, &id).await;
    assert!(now["assignee_id"].is_null(), "{now}");
    assert!(
        now["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "changed"
                && e["detail"]["field"] == "assignee"
                && e["detail"]["from"] == editor.id.as_str()
                && e["detail"]["to"].is_null()
                && e["actor"] == admin.id.as_str()),
        "the unassignment is audited on the submission: {}",
        now["events"]
    );

    let resp = post_mime(&app, &answer(&ack, "Une précision sur la fuite.")).await;
    assert_eq!(resp.status(), 202);
    let mails = sink.wait_for(3).await;
    let notice = &mails[2];
    assert_eq!(
        notice.to,
        ["redaction@localhost"],
        "the team is told instead"
    );
    assert!(
        mails.iter().all(|m| !m.to.contains(&editor.email)),
        "nothing reaches the account that became sales"
    );
}

async fn a_notice_written_before_a_disable_goes_to_the_team_when_sent(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app_with(b, sink.port, |s| s.mail.run_worker = false).await;
    let admin = app.staff("admin").await;
    let (reference, id) = app.submit("newsroom").await;
    app.dispatch_all_pending().await;
    let mails = sink.wait_for(2).await;
    let ack = to_reader(&mails);
    let editor = app.staff("editor").await;
    app.patch_as(&editor, &format!("/v1/submissions/{reference}"))
        .json(&json!({"status": "open", "assignee": "me"}))
        .json_ok()
        .await;
    // The notice is written to the assignee while they may still be told...
    assert_eq!(
        post_mime(&app, &answer(&ack, "Encore une chose."))
            .await
            .status(),
        202
    );
    let notice = mails_of(&app, &id)
        .into_iter()
        .find(|(purpose, _, _)| purpose == "reply_notice")
        .unwrap();
    assert_eq!(notice.1, editor.email);
    // ...then the account is disabled before the worker sends it.
    set_account(&app, &admin, &editor, json!({"active": false})).await;
    app.dispatch_all_pending().await;
    let mails = sink.wait_for(3).await;
    assert_eq!(mails[2].to, ["redaction@localhost"]);
    assert!(mails.iter().all(|m| !m.to.contains(&editor.email)));
}

async fn escalations_leave_out_a_disabled_or_moved_assignee(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app_with(b, sink.port, |s| s.mail.run_worker = false).await;
    let scheduler = crate::duties::another_instance(&app, sink.port).await;
    let admin = app.staff("admin").await;
    let editor = app.staff("editor").await;
    let (reference, id) = post(&app, &right_of_reply(Some(5))).await;
    app.patch_as(&editor, &format!("/v1/submissions/{reference}"))
        .json(&json!({"assignee": "me"}))
        .json_ok()
        .await;
    courrier::desk::duties::escalate_due(&scheduler)
        .await
        .unwrap();
    let to_director = |app: &TestApp| -> Vec<String> {
        mails_of(app, &id)
            .into_iter()
            .filter(|(purpose, _, _)| purpose == "duty_reminder")
            .map(|(_, to, _)| to)
            .collect()
    };
    assert!(to_director(&app)[0].contains(&editor.email));

    // Disabled: the warning goes to the director alone, and the assignment is gone.
    set_account(&app, &admin, &editor, json!({"active": false})).await;
    assert!(detail(&app, &admin, &id).await["assignee_id"].is_null());
    move_deadline(&app, &id, chrono::Duration::hours(23));
    courrier::desk::duties::escalate_due(&scheduler)
        .await
        .unwrap();
    assert_eq!(to_director(&app)[1], DIRECTOR);

    // Even an assignment left behind by hand (an older version's row) reaches nobody who may
    // not see it: the rule is asked as each escalation is written.
    let sales = app.staff("sales").await;
    app.with_conn(|c| {
        use courrier::db::schema::submissions::dsl as s;
        use diesel::prelude::*;
        diesel::update(s::submissions.filter(s::id.eq(&id)))
            .set(s::assignee_id.eq(Some(sales.id.clone())))
            .execute(c)
            .unwrap()
    });
    move_deadline(&app, &id, chrono::Duration::minutes(-1));
    courrier::desk::duties::escalate_due(&scheduler)
        .await
        .unwrap();
    assert_eq!(to_director(&app)[2], DIRECTOR);
    app.dispatch_all_pending().await;
    let mails = sink.wait_for(5).await;
    assert!(mails
        .iter()
        .all(|m| !m.to.contains(&editor.email) && !m.to.contains(&sales.email)));
}

async fn mail_to_a_held_submission_is_kept_and_told_to_no_one(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app_with(b, sink.port, |s| s.mail.run_worker = false).await;
    let mut body = crate::helpers::newsroom_body();
    body["website"] = json!("http://spam.example");
    let (reference, id) = post(&app, &body).await;
    let raw = message(
        &[
            ("From", "Zoé Martin <zoe.martin@example.fr>"),
            ("To", "<redaction@journal.example>"),
            ("Subject", &format!("Re: [{reference}] et la suite")),
            ("Message-ID", &crate::inbound::reader_message_id()),
        ],
        "Le texte du spammeur, à ne montrer à personne.",
    );
    let resp = post_mime(&app, &raw).await;
    assert_eq!(resp.status(), 202);
    let admin = app.staff("admin").await;
    let held = detail(&app, &admin, &id).await;
    assert_eq!(held["status"], "spam");
    assert!(
        held["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["direction"] == "inbound"),
        "the mail is kept on the held submission: {held}"
    );
    assert!(mails_of(&app, &id).is_empty(), "{:?}", mails_of(&app, &id));
    assert_eq!(app.dispatch_all_pending().await, 0);

    // Released: the team hears of the submission then, once.
    app.patch_as(&admin, &format!("/v1/submissions/{id}"))
        .json(&json!({"status": "open"}))
        .json_ok()
        .await;
    let purposes: Vec<String> = mails_of(&app, &id).into_iter().map(|m| m.0).collect();
    assert_eq!(purposes, ["team_notification"]);
}

async fn the_outcome_of_a_right_of_reply_can_be_answered(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app_with(b, sink.port, |_| {}).await;
    let editor = app.staff("editor").await;
    let (reference, _) = post(&app, &right_of_reply(Some(5))).await;
    let mails = sink.wait_for(2).await;
    let ack = to_reader(&mails);
    let path = format!("/v1/submissions/{reference}");
    open(&app, &editor, &path).await;
    app.patch_as(&editor, &path)
        .json(&json!({"status": "resolved", "outcome": {"kind": "refused", "grounds": "too_long"}}))
        .json_ok()
        .await;
    let mails = sink.wait_for(3).await;
    let outcome = mails
        .iter()
        .skip(2)
        .find(|m| m.to == ["zoe.martin@example.fr"])
        .expect("the requester is told");
    assert_eq!(
        address_of(&outcome.header("From").unwrap()),
        "redaction@journal.example",
        "from the queue's address"
    );
    let reply_to = address_of(&outcome.header("Reply-To").expect("answerable"));
    assert!(
        reply_to.starts_with("redaction+") && reply_to.ends_with("@journal.example"),
        "{reply_to}"
    );
    assert_eq!(outcome.header("In-Reply-To"), ack.header("Message-ID"));

    // The requester contests it: the answer lands on the right of reply and reopens it.
    let resp = post_mime(&app, &answer(outcome, "Je conteste ce refus.")).await;
    assert_eq!(resp.status(), 202);
    let receipt: Value = resp.json().await.unwrap();
    assert_eq!(receipt["outcome"], "reply", "{receipt}");
    assert_eq!(app.get_as(&editor, &path).json_ok().await["status"], "open");
}

async fn the_hand_over_copy_carries_none_of_the_requests_flags(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app_with(b, sink.port, |s| s.mail.run_worker = false).await;
    let editor = app.staff("editor").await;
    let sales = app.staff("sales").await;
    // A right of reply about an article published four months ago: out of time.
    let (reference, _) = post(&app, &right_of_reply(Some(125))).await;
    let original = app
        .get_as(&editor, &format!("/v1/submissions/{reference}"))
        .json_ok()
        .await;
    assert!(
        original["flags"].to_string().contains("out_of_time"),
        "{}",
        original["flags"]
    );
    let handed: Value = app
        .post_as(&editor, &format!("/v1/submissions/{reference}/handover"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let copy = app
        .get_as(
            &sales,
            &format!("/v1/submissions/{}", handed["reference"].as_str().unwrap()),
        )
        .json_ok()
        .await;
    assert_eq!(copy["flags"], json!([]), "{copy}");
}

/// Each role gets the same answer from the API and the console, for each rule: accounts and
/// data rights are for admins; an editorial submission is missing to sales; the unmatched mail
/// is for admins.
async fn the_api_and_the_console_answer_alike_for_each_role(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app_with(b, sink.port, |s| s.mail.run_worker = false).await;
    let (reference, _) = app.submit("newsroom").await;
    for role in ["admin", "editor", "sales"] {
        let who = app.staff(role).await;
        let browser = Browser::new(&app);
        browser.sign_in(&who).await;
        let admin = role == "admin";

        let api = app.get_as(&who, "/v1/users").status_code().await;
        let console = browser.get("/staff/users").await.status;
        assert_eq!(api, if admin { 200 } else { 403 }, "{role}: accounts");
        assert_eq!(console, api, "{role}: accounts");

        let api = app
            .get_as(&who, &format!("/v1/submissions/{reference}"))
            .status_code()
            .await;
        let console = browser
            .get(&format!("/staff/submissions/{reference}"))
            .await
            .status;
        assert_eq!(api, if role == "sales" { 404 } else { 200 }, "{role}");
        assert_eq!(console, api, "{role}: an editorial submission");

        let api = app
            .get_as(&who, "/v1/inbound/unmatched")
            .status_code()
            .await;
        assert_eq!(api, if admin { 200 } else { 403 }, "{role}: unmatched mail");

        let api = app
            .post_as(&who, "/v1/privacy/exports")
            .json(&json!({"email": "zoe.martin@example.fr"}))
            .status_code()
            .await;
        assert_eq!(api, if admin { 200 } else { 403 }, "{role}: data rights");
    }
}

/// A team list that names a colleague's own address: once that colleague moves to sales, the
/// desk's notices leave without them, checked as each e-mail is sent.
async fn a_team_list_naming_a_moved_colleague_no_longer_reaches_them(b: Backend) {
    const COLLEAGUE: &str = "chef.edition@journal.example";
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_inbound_app_with(b, sink.port, |s| {
        s.mail.run_worker = false;
        s.queues
            .get_mut("editorial")
            .unwrap()
            .notify
            .push(COLLEAGUE.into());
    })
    .await;
    let hasher = courrier::desk::auth::Hasher::new(1).unwrap();
    let colleague = courrier::desk::accounts::create(
        &app.pool,
        &hasher,
        courrier::desk::accounts::NewAccount {
            email: COLLEAGUE.into(),
            name: "Chef d'édition".into(),
            role: "editor".parse().unwrap(),
            password: crate::helpers::PASSWORD.into(),
        },
        &courrier::desk::Caller::operator(),
    )
    .await
    .unwrap();
    let admin = app.staff("admin").await;
    app.submit("newsroom").await;
    app.dispatch_all_pending().await;
    let first = sink.wait_for(2).await;
    let team = first.iter().find(|m| m.to.len() == 2).expect("the team");
    assert!(team.to.iter().any(|t| t == COLLEAGUE), "{:?}", team.to);

    app.client
        .patch(app.url(&format!("/v1/users/{}", colleague.id)))
        .bearer_auth(&admin.token)
        .json(&json!({"role": "sales"}))
        .json_ok()
        .await;
    app.submit("newsroom").await;
    app.dispatch_all_pending().await;
    let all = sink.wait_for(4).await;
    let notices: Vec<&ReceivedMail> = all[2..]
        .iter()
        .filter(|m| m.to.iter().any(|t| t == "redaction@localhost"))
        .collect();
    assert_eq!(notices.len(), 1);
    assert_eq!(
        notices[0].to,
        ["redaction@localhost"],
        "the colleague is left out"
    );
}

crate::on_both_backends!(
    a_team_list_naming_a_moved_colleague_no_longer_reaches_them,
    a_role_change_unassigns_and_the_readers_answer_goes_to_the_team,
    a_notice_written_before_a_disable_goes_to_the_team_when_sent,
    escalations_leave_out_a_disabled_or_moved_assignee,
    mail_to_a_held_submission_is_kept_and_told_to_no_one,
    the_outcome_of_a_right_of_reply_can_be_answered,
    the_hand_over_copy_carries_none_of_the_requests_flags,
    the_api_and_the_console_answer_alike_for_each_role,
);
