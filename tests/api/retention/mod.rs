//! Retention (the purge, tombstones, legal holds), the one lease table, and the desk report.
//! Time is moved by moving the stored timestamps, never by a clock of the tests' own.

mod cli;
mod hold;
mod leases;
mod purge;
mod report;
mod settings;

use std::sync::Arc;

use chrono::{Duration, NaiveDateTime};
use courrier::config::Settings;
use courrier::db::schema::submissions::dsl as s;
use diesel::prelude::*;

use crate::helpers::{spawn_app_with, test_settings, Backend, TestApp, TestDb};

/// The database's clock, as the purge reads it.
pub fn db_now(app: &TestApp) -> NaiveDateTime {
    app.with_conn(|c| courrier::db::duties::clock(c).unwrap())
}

/// Puts a submission in `status` since `ago` (by the database's clock): its last change, and
/// for a resolved one its resolution, are moved back.
pub fn age(app: &TestApp, id: &str, status: &str, ago: Duration) {
    let at = db_now(app) - ago;
    let resolved = (status == "resolved").then_some(at);
    app.with_conn(|c| {
        diesel::update(s::submissions.filter(s::id.eq(id)))
            .set((
                s::status.eq(status),
                s::updated_at.eq(at),
                s::resolved_at.eq(resolved),
                s::created_at.eq(at - Duration::days(1)),
            ))
            .execute(c)
            .unwrap()
    });
}

/// Months of about 30.5 days, enough to be past a calendar month either way.
pub fn months(n: i64) -> Duration {
    Duration::days(n * 31)
}

/// Rows of `table` whose `column` is `value`.
pub fn count_where(app: &TestApp, table: &str, column: &str, value: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} = '{value}'");
    app.with_conn(|c| diesel::sql_query(sql).get_result::<Count>(c).unwrap().n)
}

/// The references a dry run lists, sorted.
pub async fn planned(app: &TestApp, settings: &courrier::config::Settings) -> Vec<String> {
    let plan = courrier::desk::retention::plan(&app.pool, settings)
        .await
        .unwrap();
    let mut refs: Vec<String> = plan.submissions.into_iter().map(|c| c.reference).collect();
    refs.sort();
    refs
}

/// The app (without the outbox worker) after `tweak`, and the same settings, for calling the
/// use cases directly as another instance would.
pub async fn spawn_with(b: Backend, tweak: impl Fn(&mut Settings)) -> (TestApp, Settings) {
    let db = Arc::new(TestDb::new(b));
    let app = spawn_app_with(db, 25, |s| {
        s.mail.run_worker = false;
        tweak(s);
    })
    .await;
    let mut settings = test_settings(&app.db.url, 25);
    settings.mail.run_worker = false;
    tweak(&mut settings);
    (app, settings)
}
