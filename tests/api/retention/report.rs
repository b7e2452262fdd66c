//! `GET /v1/reports/desk` on a known data set: every figure, for an admin and for each desk,
//! the same after a purge (tombstones count), as CSV, and clear 400s for bad periods.

use chrono::{Duration, NaiveDateTime, Timelike};
use courrier::db::schema::submissions::dsl as s;
use diesel::prelude::*;
use serde_json::{json, Value};

use super::{db_now, spawn_with};
use crate::helpers::{newsroom_body, sales_body, Answer, Backend, Staff, TestApp};
use crate::on_both_backends;

/// Posts to a form with this topic (and the honeypot filled when `spam`); returns the id.
async fn post(app: &TestApp, form: &str, topic: &str, spam: bool) -> (String, String) {
    let mut body = if form == "newsroom" {
        newsroom_body()
    } else {
        sales_body()
    };
    body["topic"] = json!(topic);
    if spam {
        body["website"] = json!("http://spam.example");
    }
    let answer = app
        .client
        .post(app.url(&format!("/v1/forms/{form}")))
        .json(&body)
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

/// What the data set says about one submission.
#[derive(Default)]
struct Facts {
    created: Option<NaiveDateTime>,
    first_response_after: Option<i64>,
    channel: Option<&'static str>,
    deadline: Option<NaiveDateTime>,
    resolved: Option<(NaiveDateTime, Option<&'static str>)>,
}

fn set(app: &TestApp, id: &str, f: Facts) {
    app.with_conn(|c| {
        let row = s::submissions.filter(s::id.eq(id));
        if let Some(created) = f.created {
            diesel::update(row)
                .set((s::created_at.eq(created), s::updated_at.eq(created)))
                .execute(c)
                .unwrap();
            if let Some(secs) = f.first_response_after {
                diesel::update(row)
                    .set(s::first_response_at.eq(Some(created + Duration::seconds(secs))))
                    .execute(c)
                    .unwrap();
            }
        }
        if let Some(channel) = f.channel {
            diesel::update(row)
                .set(s::channel.eq(channel))
                .execute(c)
                .unwrap();
        }
        if let Some(deadline) = f.deadline {
            diesel::update(row)
                .set(s::deadline_at.eq(Some(deadline)))
                .execute(c)
                .unwrap();
        }
        if let Some((at, outcome)) = f.resolved {
            diesel::update(row)
                .set((
                    s::status.eq("resolved"),
                    s::resolved_at.eq(Some(at)),
                    s::updated_at.eq(at),
                    s::outcome_kind.eq(outcome),
                ))
                .execute(c)
                .unwrap();
        }
    });
}

/// The data set: nine submissions counted, one too old, one spam; two spam moves.
async fn known_data_set(app: &TestApp, editor: &Staff) -> NaiveDateTime {
    let now = db_now(app).with_nanosecond(0).unwrap();
    let days = |n: i64| now - Duration::days(n);
    let (_, a) = post(app, "newsroom", "tip", false).await;
    set(
        app,
        &a,
        Facts {
            created: Some(days(10)),
            first_response_after: Some(60),
            ..Facts::default()
        },
    );
    let (_, b) = post(app, "newsroom", "tip", false).await;
    set(
        app,
        &b,
        Facts {
            created: Some(days(10)),
            first_response_after: Some(120),
            channel: Some("email"),
            ..Facts::default()
        },
    );
    let (_, c) = post(app, "newsroom", "correction", false).await;
    set(
        app,
        &c,
        Facts {
            created: Some(days(9)),
            first_response_after: Some(300),
            resolved: Some((days(8), Some("corrected"))),
            ..Facts::default()
        },
    );
    // Rights of reply: inserted in time; refused after the deadline; open past it.
    let (_, d) = post(app, "newsroom", "right_of_reply", false).await;
    set(
        app,
        &d,
        Facts {
            created: Some(days(8)),
            first_response_after: Some(3600),
            deadline: Some(days(5)),
            resolved: Some((days(7), Some("inserted"))),
            ..Facts::default()
        },
    );
    let (_, e) = post(app, "newsroom", "right_of_reply", false).await;
    set(
        app,
        &e,
        Facts {
            created: Some(days(8)),
            first_response_after: Some(7200),
            deadline: Some(days(5)),
            resolved: Some((days(3), Some("refused"))),
            ..Facts::default()
        },
    );
    let (_, f) = post(app, "newsroom", "right_of_reply", false).await;
    set(
        app,
        &f,
        Facts {
            created: Some(days(5)),
            deadline: Some(days(2)),
            ..Facts::default()
        },
    );
    // Before the period.
    let (_, g) = post(app, "newsroom", "feedback", false).await;
    set(
        app,
        &g,
        Facts {
            created: Some(days(50)),
            first_response_after: Some(5),
            ..Facts::default()
        },
    );
    // Quarantined at intake, and left there: not among the submissions.
    post(app, "newsroom", "tip", true).await;
    // Moved to spam by staff, then released.
    let (i_ref, _) = post(app, "newsroom", "tip", false).await;
    for to in ["spam", "open"] {
        app.patch_as(editor, &format!("/v1/submissions/{i_ref}"))
            .json(&json!({"status": to}))
            .json_ok()
            .await;
    }
    let (_, s1) = post(app, "sales", "advertising", false).await;
    set(
        app,
        &s1,
        Facts {
            created: Some(days(7)),
            first_response_after: Some(1000),
            ..Facts::default()
        },
    );
    let (_, s2) = post(app, "sales", "subscription", false).await;
    set(
        app,
        &s2,
        Facts {
            created: Some(days(6)),
            channel: Some("email"),
            ..Facts::default()
        },
    );
    now
}

fn period(now: NaiveDateTime) -> String {
    let from = (now - Duration::days(40)).date();
    format!("/v1/reports/desk?from={from}&to={}", now.date())
}

async fn report_as(app: &TestApp, who: &Staff, path: &str) -> Value {
    app.get_as(who, path).json_ok().await
}

async fn the_report_counts_a_known_data_set_for_each_role(b: Backend) {
    let (app, settings) = spawn_with(b, |_| {}).await;
    let admin = app.staff("admin").await;
    let editor = app.staff("editor").await;
    let sales = app.staff("sales").await;
    let now = known_data_set(&app, &editor).await;
    let path = period(now);

    let all = report_as(&app, &admin, &path).await;
    assert_eq!(all["from"], (now - Duration::days(40)).date().to_string());
    assert_eq!(all["to"], now.date().to_string());
    assert_eq!(all["desks"], json!(["editorial", "commercial"]));
    assert_eq!(
        all["submissions"],
        json!({
            "total": 9,
            "by_queue": {"commercial": 2, "editorial": 7},
            "by_topic": {"advertising": 1, "correction": 1, "right_of_reply": 3,
                "subscription": 1, "tip": 3},
            "by_channel": {"email": 2, "web": 7},
        })
    );
    // 60, 120, 300, 1000, 3600, 7200 s: the median sits halfway between 300 and 1000, the
    // 90th percentile halfway between 3600 and 7200 (percentile_cont).
    assert_eq!(
        all["first_response"],
        json!({"responded": 6, "median_seconds": 650.0, "p90_seconds": 5400.0})
    );
    assert_eq!(
        all["right_of_reply"],
        json!({"received": 3, "inserted": 1, "refused": 1, "open": 1, "breaches": 2})
    );
    assert_eq!(all["corrections"], json!({"published": 1}));
    assert_eq!(all["spam"], json!({"quarantined": 2, "released": 1}));

    // The editorial desk: its own queues only. 60, 120, 300, 3600, 7200 s.
    let ed = report_as(&app, &editor, &path).await;
    assert_eq!(ed["desks"], json!(["editorial"]));
    assert_eq!(ed["submissions"]["by_queue"], json!({"editorial": 7}));
    assert_eq!(ed["submissions"]["total"], 7);
    assert_eq!(
        ed["first_response"],
        json!({"responded": 5, "median_seconds": 300.0, "p90_seconds": 5760.0})
    );
    assert_eq!(ed["right_of_reply"]["breaches"], 2);
    assert_eq!(ed["spam"], json!({"quarantined": 2, "released": 1}));

    // The commercial desk sees nothing of the newsroom's.
    let sa = report_as(&app, &sales, &path).await;
    assert_eq!(sa["desks"], json!(["commercial"]));
    assert_eq!(
        sa["submissions"],
        json!({
            "total": 2,
            "by_queue": {"commercial": 2},
            "by_topic": {"advertising": 1, "subscription": 1},
            "by_channel": {"email": 1, "web": 1},
        })
    );
    assert_eq!(
        sa["first_response"],
        json!({"responded": 1, "median_seconds": 1000.0, "p90_seconds": 1000.0})
    );
    assert_eq!(sa["right_of_reply"]["received"], 0);
    assert_eq!(sa["corrections"]["published"], 0);
    assert_eq!(sa["spam"], json!({"quarantined": 0, "released": 0}));

    // A period with nothing in it.
    let empty = report_as(
        &app,
        &admin,
        "/v1/reports/desk?from=2001-01-01&to=2001-01-31",
    )
    .await;
    assert_eq!(empty["submissions"]["total"], 0);
    assert_eq!(
        empty["first_response"],
        json!({"responded": 0, "median_seconds": null, "p90_seconds": null})
    );

    // The resolved ones purged (a one-day period for the test): the figures do not move.
    let mut short = settings.clone();
    short.retention.editorial.resolved = Some("1 day".into());
    let done = courrier::desk::retention::purge(&app.pool, &short)
        .await
        .unwrap();
    assert_eq!(
        done.submissions, 3,
        "the correction and two rights of reply"
    );
    assert_eq!(report_as(&app, &admin, &path).await, all);
    assert_eq!(report_as(&app, &editor, &path).await, ed);
}

async fn the_report_downloads_as_csv(b: Backend) {
    let (app, _) = spawn_with(b, |_| {}).await;
    let admin = app.staff("admin").await;
    let editor = app.staff("editor").await;
    let now = known_data_set(&app, &editor).await;
    let resp = app
        .get_as(&admin, &period(now))
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let body = resp.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[0], "section,key,value");
    for line in [
        "submissions,total,9",
        "queue,editorial,7",
        "topic,right_of_reply,3",
        "channel,email,2",
        "first_response,median_seconds,650",
        "first_response,p90_seconds,5400",
        "right_of_reply,breaches,2",
        "corrections,published,1",
        "spam,quarantined,2",
        "spam,released,1",
    ] {
        assert!(lines.contains(&line), "{line} in:\n{body}");
    }
    // JSON stays the default, also for a browser's Accept.
    let json = app
        .get_as(&admin, &period(now))
        .header("Accept", "text/html,application/json;q=0.9,*/*;q=0.8")
        .json_ok()
        .await;
    assert_eq!(json["submissions"]["total"], 9);
}

async fn bad_periods_are_refused_with_the_parameter_named(b: Backend) {
    let (app, _) = spawn_with(b, |_| {}).await;
    let editor = app.staff("editor").await;
    let problem = |v: &Value, field: &str| -> String {
        v["fields"][field][0]["code"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    for (query, field, code) in [
        ("?to=2026-11-30", "from", "required"),
        ("?from=2026-11-01", "to", "required"),
        ("?from=&to=2026-11-30", "from", "required"),
        ("?from=2026-13-01&to=2026-11-30", "from", "invalid_date"),
        ("?from=2026-11-01&to=2026-02-30", "to", "invalid_date"),
        ("?from=2026-1-05&to=2026-11-30", "from", "invalid_date"),
        ("?from=yesterday&to=2026-11-30", "from", "invalid_date"),
        ("?from=2026-12-01&to=2026-11-30", "from", "period_backwards"),
    ] {
        let resp = app
            .get_as(&editor, &format!("/v1/reports/desk{query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{query}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "malformed_request", "{query}");
        assert_eq!(problem(&body, field), code, "{query}: {body}");
    }
    assert_eq!(
        app.get_as(
            &editor,
            "/v1/reports/desk?from=2026-11-01&to=2026-11-30&queue=x"
        )
        .status_code()
        .await,
        400
    );
    // One day is a period.
    let one = app
        .get_as(&editor, "/v1/reports/desk?from=2026-11-30&to=2026-11-30")
        .json_ok()
        .await;
    assert_eq!(one["submissions"]["total"], 0);
    let anonymous = app
        .get("/v1/reports/desk?from=2026-11-01&to=2026-11-30")
        .await;
    assert_eq!(anonymous.status(), 401);
}

async fn a_period_ending_in_year_9999_counts_as_one_ending_in_2999(b: Backend) {
    let (app, _) = spawn_with(b, |_| {}).await;
    let admin = app.staff("admin").await;
    let editor = app.staff("editor").await;
    let now = known_data_set(&app, &editor).await;
    let forty_days = (now - Duration::days(40)).date().to_string();
    for (from, total) in [(forty_days.as_str(), 9), ("0000-01-01", 10)] {
        let report = |to: &str| {
            let path = format!("/v1/reports/desk?from={from}&to={to}");
            let (app, admin) = (&app, &admin);
            async move { report_as(app, admin, &path).await }
        };
        let mut near = report("2999-12-31").await;
        assert_eq!(near["submissions"]["total"], total, "from {from}");
        let mut far = report("9999-12-31").await;
        assert_eq!(far["to"], "9999-12-31");
        // Every figure the same: only the period's end differs.
        near["to"] = Value::Null;
        far["to"] = Value::Null;
        assert_eq!(far, near, "from {from}");
    }
}

on_both_backends!(
    the_report_counts_a_known_data_set_for_each_role,
    a_period_ending_in_year_9999_counts_as_one_ending_in_2999,
    the_report_downloads_as_csv,
    bad_periods_are_refused_with_the_parameter_named,
);
