//! The acknowledgement caps have one rule in code, `AckCaps::cap_met`. PostgreSQL's single
//! statement states it again in SQL (`db/intake/ack.sql`); SQLite's transaction and the batch
//! call it. Here each write answers a table of cases as the rule does, on both backends.

use chrono::Duration;
use courrier::db::acks::{AckCaps, AckRow};
use courrier::db::intake::{insert_batch, insert_one, NewIntake};
use courrier::db::schema::ack_log;
use courrier::desk::Context;
use courrier::domain::Reference;
use diesel::prelude::*;

use super::batch::{count, desk, intake};
use crate::helpers::Backend;

/// How a submission is written: alone (the single statement, or SQLite's transaction), or in a
/// batch with a neighbour.
#[derive(Debug, Clone, Copy)]
enum Write {
    Alone,
    InABatch,
}

/// Acknowledgements already logged for the mailbox and the domain within their windows, and
/// the caps.
#[derive(Debug, Clone, Copy)]
struct Case {
    per_mailbox: i64,
    per_domain: i64,
    by_mailbox: i64,
    by_domain: i64,
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (per_mailbox, per_domain) in [(0, 2), (1, 1), (2, 3), (3, 2)] {
        for by_mailbox in 0..=3 {
            for by_domain in 0..=3 {
                cases.push(Case {
                    per_mailbox,
                    per_domain,
                    by_mailbox,
                    by_domain,
                });
            }
        }
    }
    cases
}

/// Logs `case`'s acknowledgements: `by_mailbox` for the mailbox (from elsewhere), `by_domain`
/// for the domain (from other mailboxes), and some that no window holds: one at each window's
/// very start (a window leaves its start out), one older, and one for the domain that only the
/// mailbox's longer window would hold.
fn log(desk: &Context, case: Case, mailbox: &str, domain: &str, caps: &AckCaps) {
    let now = caps.domain_since + Duration::hours(1);
    let row = |mailbox: &str, domain: &str, created_at| AckRow {
        mailbox: mailbox.into(),
        domain: domain.into(),
        created_at,
    };
    let mut rows = vec![
        row(mailbox, "elsewhere", caps.mailbox_since),
        row(
            mailbox,
            "elsewhere",
            caps.mailbox_since - Duration::hours(1),
        ),
        row("someone", domain, caps.domain_since),
        row("someone", domain, now - Duration::hours(2)),
    ];
    for _ in 0..case.by_mailbox {
        rows.push(row(mailbox, "elsewhere", now - Duration::hours(2)));
    }
    for _ in 0..case.by_domain {
        rows.push(row("someone", domain, now - Duration::minutes(30)));
    }
    let mut conn = desk.pool.get().unwrap();
    for r in &rows {
        diesel::insert_into(ack_log::table)
            .values(r)
            .execute(&mut **conn)
            .unwrap();
    }
}

/// What the write did with the acknowledgement: `None` when it went (its e-mail and its log
/// row written), else the detail of the event that says which cap it met.
fn outcome(
    desk: &Context,
    intake: &NewIntake,
    mailbox: &str,
    logged_before: i64,
) -> Option<String> {
    #[derive(QueryableByName)]
    struct Detail {
        #[diesel(sql_type = diesel::sql_types::Text)]
        detail: String,
    }
    let ack = intake.ack.as_ref().unwrap();
    let sent = count(
        desk,
        &format!(
            "SELECT COUNT(*) AS n FROM outbox WHERE id = '{}'",
            ack.mail.id
        ),
    );
    let logged = count(
        desk,
        &format!("SELECT COUNT(*) AS n FROM ack_log WHERE mailbox = '{mailbox}'"),
    );
    let mut conn = desk.pool.get().unwrap();
    let skipped: Vec<String> = diesel::sql_query(format!(
        "SELECT detail FROM events WHERE kind = 'ack_skipped' AND submission_id = '{}'",
        intake.submission.id
    ))
    .load::<Detail>(&mut **conn)
    .unwrap()
    .into_iter()
    .map(|d| d.detail)
    .collect();
    match (sent, logged - logged_before, skipped.as_slice()) {
        (1, 1, []) => None,
        (0, 0, [detail]) => Some(detail.clone()),
        other => panic!("neither sent nor skipped whole: {other:?}"),
    }
}

async fn every_write_of_an_acknowledgement_answers_as_the_caps_rule(b: Backend) {
    let (desk, _db) = desk(b, 4, |_| {}).await;
    let now = courrier::db::now();
    let caps = |case: Case| AckCaps {
        per_mailbox: case.per_mailbox,
        mailbox_since: now - Duration::days(1),
        per_domain: case.per_domain,
        domain_since: now - Duration::hours(1),
    };
    let mut checked = 0;
    for way in [Write::Alone, Write::InABatch] {
        for (i, case) in cases().into_iter().enumerate() {
            let (mailbox, domain) = (
                format!("mailbox-{way:?}-{i}"),
                format!("domain-{way:?}-{i}"),
            );
            log(&desk, case, &mailbox, &domain, &caps(case));
            let logged_before = count(
                &desk,
                &format!("SELECT COUNT(*) AS n FROM ack_log WHERE mailbox = '{mailbox}'"),
            );
            let mut posted = intake(&desk, "Anne", Reference::generate().as_str(), None);
            let ack = posted.ack.as_mut().unwrap();
            ack.log.mailbox = mailbox.clone();
            ack.log.domain = domain.clone();
            ack.log.created_at = now;
            ack.caps = caps(case);
            let mut conn = desk.pool.get().unwrap();
            match way {
                Write::Alone => {
                    insert_one(&mut conn, &posted).unwrap();
                }
                Write::InABatch => {
                    let mut neighbour = intake(&desk, "Zoe", Reference::generate().as_str(), None);
                    neighbour.ack = None;
                    insert_batch(&mut conn, &[neighbour, posted.clone()]).unwrap();
                }
            }
            drop(conn);
            let rule = caps(case).cap_met(case.by_mailbox, case.by_domain);
            assert_eq!(
                outcome(&desk, &posted, &mailbox, logged_before).as_deref(),
                rule,
                "{way:?}, {case:?}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 2 * 64);
}

crate::on_both_backends!(every_write_of_an_acknowledgement_answers_as_the_caps_rule);
