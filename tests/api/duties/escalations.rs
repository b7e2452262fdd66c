//! A right of reply's escalations to the publication director and the assignee: at receipt,
//! when the warning's hours remain, at breach; each once, with several instances.

use std::sync::Arc;

use serde_json::json;

use super::{another_instance, mails_of, move_deadline, post, right_of_reply};
use crate::helpers::{
    eventually, spawn_app_with, spawn_app_without_worker, Answer, Backend, MailSink, SinkMode,
    TestDb,
};
use crate::on_both_backends;

const DIRECTOR: &str = "direction@localhost";

/// The escalations written for a submission: their subjects and recipients.
fn escalations(app: &crate::helpers::TestApp, id: &str) -> Vec<(String, String)> {
    mails_of(app, id)
        .into_iter()
        .filter(|(_, to, _)| to.contains(DIRECTOR))
        .map(|(purpose, to, subject)| {
            assert_eq!(
                purpose, "duty_reminder",
                "an escalation is a reminder to staff"
            );
            (subject, to)
        })
        .collect()
}

async fn each_escalation_goes_once_at_receipt_warning_and_breach(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app_without_worker(b, sink.port).await;
    let scheduler = another_instance(&app, sink.port).await;
    let editor = app.staff("editor").await;
    let (reference, id) = post(&app, &right_of_reply(Some(5))).await;
    let (_, tip) = post(&app, &crate::helpers::newsroom_body()).await;

    assert_eq!(
        courrier::desk::duties::escalate_due(&scheduler)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        courrier::desk::duties::escalate_due(&scheduler)
            .await
            .unwrap(),
        0
    );
    let sent = escalations(&app, &id);
    assert_eq!(sent.len(), 1);
    assert!(sent[0].0.contains("Droit de réponse reçu"), "{sent:?}");
    // The deadline is told in the newsroom's zone (site.timezone, Paris by default), not in UTC.
    let deadline = app.with_conn(|c| {
        courrier::db::submissions::by_reference(c, &reference)
            .unwrap()
            .deadline_at
            .unwrap()
    });
    let paris = chrono::TimeZone::from_utc_datetime(&chrono_tz::Europe::Paris, &deadline);
    let told = paris.format("%d/%m/%Y à %H:%M %Z").to_string();
    assert!(told.ends_with("CET") || told.ends_with("CEST"), "{told}");
    assert!(
        sent[0].0.ends_with(&told),
        "{sent:?} should end with {told}"
    );
    assert!(
        escalations(&app, &tip).is_empty(),
        "a tip has no legal clock"
    );

    // Assigned, then 23 hours left: the warning goes to the director and the assignee.
    app.patch_as(&editor, &format!("/v1/submissions/{reference}"))
        .json(&json!({"assignee": "me"}))
        .json_ok()
        .await;
    move_deadline(&app, &id, chrono::Duration::hours(23));
    assert_eq!(
        courrier::desk::duties::escalate_due(&scheduler)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        courrier::desk::duties::escalate_due(&scheduler)
            .await
            .unwrap(),
        0
    );
    let sent = escalations(&app, &id);
    assert_eq!(sent.len(), 2);
    assert!(sent[1].0.contains("moins de 24 h"), "{sent:?}");
    assert!(sent[1].1.contains(&editor.email), "{sent:?}");

    // Past the deadline: the breach, once.
    move_deadline(&app, &id, chrono::Duration::minutes(-1));
    assert_eq!(
        courrier::desk::duties::escalate_due(&scheduler)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        courrier::desk::duties::escalate_due(&scheduler)
            .await
            .unwrap(),
        0
    );
    let sent = escalations(&app, &id);
    assert_eq!(sent.len(), 3);
    assert!(sent[2].0.contains("échéance dépassée"), "{sent:?}");

    // They reach the relay, with the reference and no word of the reader's.
    app.dispatch_all_pending().await;
    let mails = sink.wait_for(7).await;
    let breach = mails
        .iter()
        .find(|m| m.header("Subject").unwrap().contains("échéance dépassée"))
        .unwrap();
    let text = breach.body("text/plain");
    assert!(
        text.contains(&reference) && text.contains("3 750"),
        "{text}"
    );
    assert!(!text.contains("médiathèque fuit"), "{text}");
}

async fn a_resolved_or_late_found_right_of_reply_gets_no_warning(b: Backend) {
    let app = spawn_app_without_worker(b, 25).await;
    let scheduler = another_instance(&app, 25).await;
    let editor = app.staff("editor").await;
    // Found by the scheduler only after its deadline: receipt and breach, never the warning.
    let (_, late) = post(&app, &right_of_reply(None)).await;
    move_deadline(&app, &late, chrono::Duration::hours(-2));
    // Closed before its deadline: receipt only.
    let (closed_ref, closed) = post(&app, &right_of_reply(None)).await;
    super::open(&app, &editor, &format!("/v1/submissions/{closed_ref}")).await;
    app.patch_as(&editor, &format!("/v1/submissions/{closed_ref}"))
        .json(
            &json!({"status": "resolved", "outcome": {"kind": "refused", "grounds": "unrelated"}}),
        )
        .json_ok()
        .await;
    move_deadline(&app, &closed, chrono::Duration::hours(-2));
    courrier::desk::duties::escalate_due(&scheduler)
        .await
        .unwrap();
    let subjects: Vec<String> = escalations(&app, &late).into_iter().map(|e| e.0).collect();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert!(
        subjects.iter().all(|s| !s.contains("moins de")),
        "{subjects:?}"
    );
    assert!(escalations(&app, &closed).is_empty());
}

async fn the_scheduler_runs_in_the_process(b: Backend) {
    let app = spawn_app_with(Arc::new(TestDb::new(b)), 25, |s| {
        s.mail.run_worker = false;
        s.duties.run_scheduler = true;
        s.duties.scheduler_interval_seconds = 1;
    })
    .await;
    let (_, id) = post(&app, &right_of_reply(None)).await;
    eventually(
        "the receipt escalation",
        std::time::Duration::from_secs(15),
        || escalations(&app, &id).len() == 1,
    )
    .await;
}

on_both_backends!(
    each_escalation_goes_once_at_receipt_warning_and_breach,
    a_resolved_or_late_found_right_of_reply_gets_no_warning,
    the_scheduler_runs_in_the_process,
);

/// Two instances on PostgreSQL, each running the scheduler over and over at the same time:
/// every escalation is written exactly once.
#[tokio::test]
async fn two_instances_on_postgres_write_each_escalation_once() {
    let Some(b) = Backend::postgres() else {
        eprintln!("TEST_DATABASE_URL is not set: skipped");
        return;
    };
    let app = spawn_app_without_worker(b, 25).await;
    let one = another_instance(&app, 25).await;
    let two = another_instance(&app, 25).await;
    let mut ids = Vec::new();
    for n in 0..6 {
        let (_, id) = post(&app, &right_of_reply(None)).await;
        match n % 3 {
            0 => {}
            1 => move_deadline(&app, &id, chrono::Duration::hours(3)),
            _ => move_deadline(&app, &id, chrono::Duration::hours(-3)),
        }
        ids.push(id);
    }
    for _ in 0..5 {
        let (a, b) = tokio::join!(
            courrier::desk::duties::escalate_due(&one),
            courrier::desk::duties::escalate_due(&two)
        );
        a.unwrap();
        b.unwrap();
    }
    for (n, id) in ids.iter().enumerate() {
        let expected = if n % 3 == 0 { 1 } else { 2 };
        assert_eq!(escalations(&app, id).len(), expected, "submission {n}");
    }
    assert_eq!(app.count("duty_reminders"), 10);
}
