//! The purge: what a dry run lists, what a purge removes and keeps (tombstones, the audit
//! trail, counts), dead e-mails' bodies, unmatched inbound mail, per-queue periods, and one
//! purge at a time across instances.

use chrono::Duration;
use courrier::db::schema::{events, outbox};
use courrier::desk::retention::{self, Purged, RetentionError};
use diesel::prelude::*;
use serde_json::json;

use super::{age, count_where, db_now, months, planned, spawn_with};
use crate::helpers::{newsroom_body, sales_body, Answer, Backend, TestApp};
use crate::inbound::{inbound_settings, message, post_mime, reader_message_id};
use crate::on_both_backends;

/// A submission posted through the form: (reference, id).
async fn post(app: &TestApp, form: &str, body: &serde_json::Value) -> (String, String) {
    let answer = app
        .client
        .post(app.url(&format!("/v1/forms/{form}")))
        .json(body)
        .json_ok()
        .await;
    let reference = answer["reference"].as_str().unwrap().to_owned();
    let id = app.with_conn(|c| {
        courrier::db::submissions::by_reference(c, &reference)
            .unwrap()
            .id
    });
    (reference, id)
}

fn report_path(day: chrono::NaiveDate) -> String {
    format!("/v1/reports/desk?from={day}&to={day}")
}

async fn dry_run_lists_what_is_due_and_changes_nothing(b: Backend) {
    let (app, settings) = spawn_with(b, |_| {}).await;
    let (old_resolved, a) = post(&app, "newsroom", &newsroom_body()).await;
    let (young_resolved, b_) = post(&app, "newsroom", &newsroom_body()).await;
    let (old_spam, c) = post(&app, "newsroom", &newsroom_body()).await;
    let (young_spam, d) = post(&app, "newsroom", &newsroom_body()).await;
    let (old_open, e) = post(&app, "newsroom", &newsroom_body()).await;
    let (sales_kept, f) = post(&app, "sales", &sales_body()).await;
    let (sales_due, g) = post(&app, "sales", &sales_body()).await;
    age(&app, &a, "resolved", months(25));
    age(&app, &b_, "resolved", months(23));
    age(&app, &c, "spam", Duration::days(31));
    age(&app, &d, "spam", Duration::days(29));
    age(&app, &e, "open", months(60));
    age(&app, &f, "resolved", months(35));
    age(&app, &g, "resolved", months(37));
    let before = app.count("submissions");

    let mut expected = vec![old_resolved.clone(), old_spam.clone(), sales_due.clone()];
    expected.sort();
    assert_eq!(planned(&app, &settings).await, expected);
    let plan = retention::plan(&app.pool, &settings).await.unwrap();
    let rule_of = |r: &str| {
        plan.submissions
            .iter()
            .find(|c| c.reference == r)
            .map(|c| c.rule.clone())
            .unwrap()
    };
    assert_eq!(rule_of(&old_resolved), "editorial resolved: 24 months");
    assert_eq!(rule_of(&old_spam), "editorial spam: 30 days");
    assert_eq!(rule_of(&sales_due), "commercial resolved: 36 months");
    assert_eq!(
        app.count("submissions"),
        before,
        "a dry run deletes nothing"
    );
    assert_eq!(app.count("tombstones"), 0);

    let done = retention::purge(&app.pool, &settings).await.unwrap();
    assert_eq!(done.submissions, 3);
    assert_eq!(app.count("submissions"), before - 3);
    for kept in [&young_resolved, &young_spam, &old_open, &sales_kept] {
        assert_eq!(
            count_where(&app, "submissions", "reference", kept),
            1,
            "{kept}"
        );
    }
    assert!(
        planned(&app, &settings).await.is_empty(),
        "nothing left due"
    );
    assert_eq!(
        retention::purge(&app.pool, &settings).await.unwrap(),
        Purged::default()
    );
}

/// The rows about a submission in each table the purge clears.
fn rows_about(app: &TestApp, id: &str) -> Vec<(&'static str, i64)> {
    [
        "messages",
        "notes",
        "outbox",
        "idempotency_keys",
        "inbound_mail",
    ]
    .into_iter()
    .map(|t| (t, count_where(app, t, "submission_id", id)))
    .collect()
}

async fn a_purge_takes_everything_about_a_submission_and_leaves_a_tombstone(b: Backend) {
    let (app, settings) = spawn_with(b, inbound_settings).await;
    let editor = app.staff("editor").await;
    let admin = app.staff("admin").await;
    let mut body = newsroom_body();
    body["message"] = json!("Le maire de Trifouillis cache un rapport.");
    let answer = app
        .client
        .post(app.url("/v1/forms/newsroom"))
        .header("Idempotency-Key", "retention-test-key-1")
        .json(&body)
        .json_ok()
        .await;
    let reference = answer["reference"].as_str().unwrap().to_owned();
    let id = app.with_conn(|c| {
        courrier::db::submissions::by_reference(c, &reference)
            .unwrap()
            .id
    });
    let path = format!("/v1/submissions/{reference}");
    app.patch_as(&editor, &path)
        .json(&json!({"status": "open"}))
        .json_ok()
        .await;
    app.post_as(&editor, &format!("{path}/notes"))
        .json(&json!({"body": "Source à protéger : Zoé, voisine du maire."}))
        .json_ok()
        .await;
    app.post_as(&editor, &format!("{path}/replies"))
        .json(&json!({"body": "Merci Zoé, pouvez-vous nous appeler ?"}))
        .json_ok()
        .await;
    // The reader answers the acknowledgement: the raw message is stored on the thread.
    let reply_to: String = app.with_conn(|c| {
        outbox::table
            .filter(outbox::submission_id.eq(&id))
            .filter(outbox::purpose.eq("reader_ack"))
            .select(outbox::reply_to)
            .first::<Option<String>>(c)
            .unwrap()
            .unwrap()
    });
    let raw = message(
        &[
            ("From", "Zoé Martin <zoe.martin@example.fr>"),
            ("To", &reply_to),
            ("Subject", "Re: votre message"),
            ("Message-ID", &reader_message_id()),
        ],
        "Oui, au 06 12 34 56 78, le rapport est chez moi.",
    );
    assert_eq!(post_mime(&app, &raw).await.status(), 202);
    app.patch_as(&editor, &path)
        .json(&json!({"status": "resolved"}))
        .json_ok()
        .await;
    assert!(
        rows_about(&app, &id).iter().all(|(_, n)| *n > 0),
        "every kind of row exists before: {:?}",
        rows_about(&app, &id)
    );
    let events_before = count_where(&app, "events", "submission_id", &id);
    age(&app, &id, "resolved", months(25));
    let day = db_now(&app).date() - months(25) - Duration::days(1);
    let report_before = app.get_as(&admin, &report_path(day)).json_ok().await;
    assert_eq!(report_before["submissions"]["total"], 1);

    let done = retention::purge(&app.pool, &settings).await.unwrap();
    assert_eq!(done.submissions, 1);

    assert_eq!(count_where(&app, "submissions", "id", &id), 0);
    for (table, n) in rows_about(&app, &id) {
        assert_eq!(n, 0, "{table} still holds rows about the purged submission");
    }
    assert_eq!(app.get_as(&editor, &path).status_code().await, 404);
    // The tombstone: reference, queue, dates, outcome; nothing about the person.
    let stone = app.with_conn(|c| {
        courrier::db::retention::tombstone(c, &reference)
            .unwrap()
            .unwrap()
    });
    assert_eq!(stone.submission_id, id);
    assert_eq!(stone.queue.as_str(), "editorial");
    assert_eq!(stone.status.as_str(), "resolved");
    assert!(stone.resolved_at.is_some());
    assert_eq!(stone.rule, "editorial resolved: 24 months");
    let personal = [
        "Zoé",
        "zoe.martin",
        "Trifouillis",
        "voisine",
        "06 12 34 56 78",
        "médiathèque",
    ];
    let shown = format!("{stone:?}");
    for p in personal {
        assert!(!shown.contains(p), "the tombstone keeps `{p}`: {shown}");
    }
    // The audit trail stays, one event more (the purge), its details naming no one.
    let kept: Vec<(String, String)> = app.with_conn(|c| {
        events::table
            .filter(events::submission_id.eq(&id))
            .select((events::kind, events::detail))
            .load(c)
            .unwrap()
    });
    assert_eq!(kept.len() as i64, events_before + 1);
    assert!(kept
        .iter()
        .any(|(k, d)| k == "purged" && d.contains("24 months")));
    assert!(kept.iter().any(|(k, _)| k == "note_added"));
    for (kind, detail) in &kept {
        for p in personal {
            assert!(!detail.contains(p), "event {kind} keeps `{p}`: {detail}");
        }
    }
    // Counts stay true.
    let report_after = app.get_as(&admin, &report_path(day)).json_ok().await;
    assert_eq!(report_after, report_before);
}

async fn dead_mail_loses_its_bodies_and_unmatched_mail_goes_after_90_days(b: Backend) {
    let (app, settings) = spawn_with(b, inbound_settings).await;
    let (_, old) = post(&app, "newsroom", &newsroom_body()).await;
    let (_, young) = post(&app, "newsroom", &newsroom_body()).await;
    let now = db_now(&app);
    let kill = |id: &str, ago: Duration| {
        app.with_conn(|c| {
            diesel::update(outbox::table.filter(outbox::submission_id.eq(id)))
                .set((outbox::status.eq("dead"), outbox::created_at.eq(now - ago)))
                .execute(c)
                .unwrap()
        })
    };
    assert!(kill(&old, Duration::days(91)) > 0);
    kill(&young, Duration::days(89));
    // Two messages to no address of ours, one 91 days old.
    for n in 0..2 {
        let raw = message(
            &[
                ("From", "Quelqu’un <someone@example.net>"),
                ("To", "personne@journal.example"),
                ("Subject", "Bonjour"),
                ("Message-ID", &reader_message_id()),
            ],
            &format!("Message {n} sans destinataire connu."),
        );
        assert_eq!(post_mime(&app, &raw).await.status(), 202);
    }
    use courrier::db::schema::inbound_mail;
    let unmatched: Vec<String> = app.with_conn(|c| {
        inbound_mail::table
            .filter(inbound_mail::submission_id.is_null())
            .order(inbound_mail::id.asc())
            .select(inbound_mail::id)
            .load(c)
            .unwrap()
    });
    assert_eq!(unmatched.len(), 2);
    app.with_conn(|c| {
        diesel::update(inbound_mail::table.filter(inbound_mail::id.eq(&unmatched[0])))
            .set(inbound_mail::created_at.eq(now - Duration::days(91)))
            .execute(c)
            .unwrap()
    });

    let plan = retention::plan(&app.pool, &settings).await.unwrap();
    assert!(plan.dead_mail_bodies > 0);
    assert_eq!(plan.unmatched_inbound, 1);
    let done = retention::purge(&app.pool, &settings).await.unwrap();
    assert_eq!(done.submissions, 0);
    assert_eq!(done.dead_mail_bodies as i64, plan.dead_mail_bodies);
    assert_eq!(done.unmatched_inbound, 1);

    let bodies = |id: &str| -> Vec<(String, String)> {
        app.with_conn(|c| {
            outbox::table
                .filter(outbox::submission_id.eq(id))
                .select((outbox::body_text, outbox::body_html))
                .load(c)
                .unwrap()
        })
    };
    assert!(bodies(&old)
        .iter()
        .all(|(t, h)| t.is_empty() && h.is_empty()));
    assert!(bodies(&young)
        .iter()
        .all(|(t, h)| !t.is_empty() && !h.is_empty()));
    assert_eq!(count_where(&app, "inbound_mail", "id", &unmatched[0]), 0);
    assert_eq!(count_where(&app, "inbound_mail", "id", &unmatched[1]), 1);
    // An e-mail without its bodies is never sent again.
    let requeued = app
        .with_conn(|c| courrier::db::outbox::requeue_dead(c, None, courrier::db::now()).unwrap());
    assert_eq!(
        requeued as i64,
        count_where(&app, "outbox", "submission_id", &young)
    );
}

async fn a_queue_keeps_longer_or_shorter_than_its_desk(b: Backend) {
    let (app, settings) = spawn_with(b, |s| {
        let mut archive = s.queues["editorial"].clone();
        archive.label = "Archives".into();
        s.queues.insert("archive".into(), archive);
        let own = s.retention.queues.entry("archive".into()).or_default();
        own.resolved = Some("forever".into());
        own.spam = Some("1 day".into());
    })
    .await;
    let editor = app.staff("editor").await;
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(post(&app, "newsroom", &newsroom_body()).await);
    }
    for (reference, _) in &ids[2..] {
        app.patch_as(&editor, &format!("/v1/submissions/{reference}"))
            .json(&json!({"queue": "archive"}))
            .json_ok()
            .await;
    }
    age(&app, &ids[0].1, "resolved", months(30));
    age(&app, &ids[1].1, "spam", Duration::days(2));
    age(&app, &ids[2].1, "resolved", months(30));
    age(&app, &ids[3].1, "spam", Duration::days(2));
    // The desk's 24 months take the first; the archive keeps its resolved forever and its
    // spam a day; the desk's spam stays 30 days.
    let mut expected = vec![ids[0].0.clone(), ids[3].0.clone()];
    expected.sort();
    assert_eq!(planned(&app, &settings).await, expected);
    let plan = retention::plan(&app.pool, &settings).await.unwrap();
    assert!(plan
        .submissions
        .iter()
        .any(|c| c.reference == ids[3].0 && c.rule == "queue archive spam: 1 day"));
    assert_eq!(
        retention::purge(&app.pool, &settings)
            .await
            .unwrap()
            .submissions,
        2
    );
    assert_eq!(count_where(&app, "tombstones", "queue", "archive"), 1);
}

async fn two_instances_purge_once_and_the_schedule_waits_its_period(b: Backend) {
    let (app, settings) = spawn_with(b, |_| {}).await;
    let mut ids = Vec::new();
    for _ in 0..6 {
        let (_, id) = post(&app, "newsroom", &newsroom_body()).await;
        age(&app, &id, "resolved", months(25));
        ids.push(id);
    }
    let other = settings.clone();
    let (first, second) = tokio::join!(
        retention::scheduled(&app.pool, &settings),
        retention::scheduled(&app.pool, &other)
    );
    let outcomes = [first.unwrap(), second.unwrap()];
    let ran: Vec<&Purged> = outcomes.iter().flatten().collect();
    assert_eq!(ran.len(), 1, "one instance purges: {outcomes:?}");
    assert_eq!(ran[0].submissions, 6);
    assert_eq!(app.count("tombstones"), 6);
    for id in &ids {
        assert_eq!(
            app.with_conn(|c| {
                events::table
                    .filter(events::submission_id.eq(id))
                    .filter(events::kind.eq("purged"))
                    .count()
                    .get_result::<i64>(c)
                    .unwrap()
            }),
            1,
            "purged once"
        );
    }
    // Within the period, no instance runs it again, even with something due.
    let (_, late) = post(&app, "newsroom", &newsroom_body()).await;
    age(&app, &late, "resolved", months(25));
    assert!(retention::scheduled(&app.pool, &settings)
        .await
        .unwrap()
        .is_none());
    // Once the period has run out (its lease moved back), the next look runs it.
    use courrier::db::schema::leases;
    app.with_conn(|c| {
        diesel::update(leases::table.filter(leases::name.eq(retention::DAILY_LEASE)))
            .set(leases::lease_until.eq(db_now(&app) - Duration::seconds(1)))
            .execute(c)
            .unwrap()
    });
    let again = retention::scheduled(&app.pool, &settings).await.unwrap();
    assert_eq!(again.map(|p| p.submissions), Some(1));
}

async fn a_purge_is_refused_while_another_holds_the_lease(b: Backend) {
    let (app, settings) = spawn_with(b, |_| {}).await;
    let (_, id) = post(&app, "newsroom", &newsroom_body()).await;
    age(&app, &id, "resolved", months(25));
    app.with_conn(|c| {
        assert!(
            courrier::db::leases::take(c, retention::PURGE_LEASE, "another instance", 60_000)
                .unwrap()
        )
    });
    assert!(matches!(
        retention::purge(&app.pool, &settings).await,
        Err(RetentionError::Busy)
    ));
    assert!(matches!(
        retention::scheduled(&app.pool, &settings).await,
        Err(RetentionError::Busy)
    ));
    assert_eq!(count_where(&app, "submissions", "id", &id), 1);
    // The refused scheduled run gave its turn back: once the other purge ends, it runs.
    app.with_conn(|c| {
        courrier::db::leases::release(c, retention::PURGE_LEASE, "another instance").unwrap()
    });
    let ran = retention::scheduled(&app.pool, &settings).await.unwrap();
    assert_eq!(ran.map(|p| p.submissions), Some(1));
}

on_both_backends!(
    dry_run_lists_what_is_due_and_changes_nothing,
    a_purge_takes_everything_about_a_submission_and_leaves_a_tombstone,
    dead_mail_loses_its_bodies_and_unmatched_mail_goes_after_90_days,
    a_queue_keeps_longer_or_shorter_than_its_desk,
    two_instances_purge_once_and_the_schedule_waits_its_period,
    a_purge_is_refused_while_another_holds_the_lease,
);
