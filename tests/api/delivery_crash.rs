//! The outbox when things go wrong: a crash in the middle of a batch, instances whose clocks
//! disagree with the database's, a claim under a plan that rescans its subquery, a batch that
//! outlasts its lease, and outcomes that cannot be recorded at shutdown.

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use courrier::db::{outbox, DbConnection};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::helpers::{
    eventually, free_port, newsroom_body, spawn_app_with, test_settings, Backend, TestApp, TestDb,
};

mod relay;

use relay::Relay;

// ---------------------------------------------------------------------------------------------
// Helpers

/// Jobs written by an instance whose worker is off.
async fn queue(b: Backend, submissions: usize) -> (Arc<TestDb>, TestApp) {
    let db = Arc::new(TestDb::new(b));
    let web = spawn_app_with(db.clone(), free_port(), |s| s.mail.run_worker = false).await;
    for _ in 0..submissions {
        let resp = web.post_json("newsroom", &newsroom_body()).await;
        assert_eq!(resp.status(), 201);
    }
    (db, web)
}

/// The real binary, sending to `smtp_port` with one sender (so one batch holds every job).
fn start_instance(db: &TestDb, smtp_port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_courrier"))
        .arg("serve")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("COURRIER_ENV", "test")
        .env("COURRIER__DATABASE__URL", &db.url)
        .env(
            "COURRIER__HTTP__ADDRESS",
            format!("127.0.0.1:{}", free_port()),
        )
        .env("COURRIER__MAIL__TRANSPORT", "smtp")
        .env(
            "COURRIER__MAIL__SMTP_URL",
            format!("smtp://127.0.0.1:{smtp_port}"),
        )
        .env("COURRIER__MAIL__CONCURRENCY", "1")
        .env("COURRIER__MAIL__SMTP_TIMEOUT_MS", "10000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn status_of(web: &TestApp, message: &str) -> String {
    use courrier::db::schema::outbox::dsl::*;
    web.with_conn(|c| {
        outbox
            .filter(message_id.eq(message))
            .select(status)
            .first::<String>(c)
            .unwrap()
    })
}

fn all_sent(web: &TestApp) -> bool {
    web.outbox().iter().all(|j| j.status == "sent")
}

/// A claim made by the test itself, as another worker would.
fn claim(conn: &mut DbConnection, owner: &str, lease: Duration, n: i64) -> Vec<String> {
    let jobs = outbox::claim(conn, owner, lease, n).unwrap();
    jobs.into_iter().map(|j| j.id).collect()
}

fn connect(db: &TestDb) -> DbConnection {
    let settings = test_settings(&db.url, 0);
    courrier::db::Manager::new(&settings.database)
        .unwrap()
        .establish()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// A crash in the middle of a batch

async fn a_crash_after_the_relay_accepts_does_not_send_that_email_again(b: Backend) {
    let (db, web) = queue(b, 3).await;
    // The relay takes the first e-mail, then holds the second at the end of DATA.
    let relay = Relay::start(Some(1), Duration::ZERO);
    let mut instance = start_instance(&db, relay.port);
    eventually("two e-mails handed over", Duration::from_secs(20), || {
        relay.mails().len() >= 2
    })
    .await;
    let first = relay.accepted()[0].clone();
    let held = relay.mails()[1].0.clone();
    eventually(
        "the accepted e-mail recorded while the next one is in flight",
        Duration::from_secs(5),
        || status_of(&web, &first) == "sent",
    )
    .await;
    instance.kill().unwrap();
    instance.wait().unwrap();
    relay.release();
    let jobs = web.outbox();
    assert_eq!(jobs.iter().filter(|j| j.status == "sent").count(), 1);
    assert!(jobs
        .iter()
        .filter(|j| j.status == "pending")
        .all(|j| j.lease_owner.is_some() && j.attempts == 1));
    // The dead instance's lease runs out; another instance takes its e-mails.
    web.with_conn(|c| {
        use courrier::db::schema::outbox::dsl::*;
        let past = courrier::db::now() - chrono::Duration::hours(1);
        diesel::update(outbox.filter(lease_owner.is_not_null()))
            .set(lease_until.eq(past))
            .execute(c)
            .unwrap();
    });
    let successor = spawn_app_with(db, relay.port, |_| {}).await;
    eventually("all six sent", Duration::from_secs(15), || {
        all_sent(&successor)
    })
    .await;
    let accepted = relay.accepted();
    assert_eq!(accepted.len(), 6, "each e-mail accepted once: {accepted:?}");
    assert_eq!(accepted.iter().collect::<HashSet<_>>().len(), 6);
    assert!(
        accepted.contains(&held),
        "the interrupted e-mail went again with its Message-ID"
    );
}

// ---------------------------------------------------------------------------------------------
// Leases by the database's clock (PostgreSQL: every instance has its own clock)

/// Makes the test database's clock run `offset` (an SQL interval) from this machine's: its
/// `now()` shadows the built-in one for the connections opened from then on.
fn shift_database_clock(db: &TestDb, offset: &str) {
    let (mut admin, name) = db.pg_admin().unwrap();
    let mut conn = PgConnection::establish(&db.url).unwrap();
    conn.batch_execute(&format!(
        "CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE sql STABLE \
         AS $$ SELECT pg_catalog.now() + interval '{offset}' $$"
    ))
    .unwrap();
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {name} SET search_path = public, pg_catalog"
        ))
        .unwrap();
}

/// Runs SQL against the test database, with its shifted clock.
fn exec(db: &TestDb, sql: &str) {
    let mut conn = PgConnection::establish(&db.url).unwrap();
    conn.batch_execute(sql).unwrap();
}

#[tokio::test]
async fn a_lease_run_out_by_the_database_clock_is_taken_over_at_once() {
    let Some(b) = Backend::postgres() else {
        return eprintln!("TEST_DATABASE_URL is not set: skipped");
    };
    let (db, _web) = queue(b, 1).await;
    // This instance's clock is ten minutes behind the database's.
    shift_database_clock(&db, "10 minutes");
    // A dead instance's lease ended a second ago, by the database's clock.
    exec(
        &db,
        "UPDATE outbox SET lease_owner = 'dead-instance', attempts = 1, \
         lease_until = (now() AT TIME ZONE 'UTC') - interval '1 second'",
    );
    let relay = Relay::start(None, Duration::ZERO);
    let worker = spawn_app_with(db, relay.port, |_| {}).await;
    eventually("both taken over and sent", Duration::from_secs(10), || {
        all_sent(&worker)
    })
    .await;
    assert_eq!(relay.accepted().len(), 2);
}

#[tokio::test]
async fn a_lease_still_running_by_the_database_clock_is_respected() {
    let Some(b) = Backend::postgres() else {
        return eprintln!("TEST_DATABASE_URL is not set: skipped");
    };
    let (db, _web) = queue(b, 1).await;
    // This instance's clock is ten minutes ahead of the database's.
    shift_database_clock(&db, "-10 minutes");
    // Both due by the database's clock; the acknowledgement is held by a live instance for
    // five more minutes.
    exec(
        &db,
        "UPDATE outbox SET next_attempt_at = (now() AT TIME ZONE 'UTC') - interval '1 second'; \
         UPDATE outbox SET lease_owner = 'live-instance', attempts = 1, \
         lease_until = (now() AT TIME ZONE 'UTC') + interval '5 minutes' \
         WHERE purpose = 'reader_ack'",
    );
    let relay = Relay::start(None, Duration::ZERO);
    let worker = spawn_app_with(db, relay.port, |_| {}).await;
    eventually("the free one sent", Duration::from_secs(10), || {
        worker
            .outbox()
            .iter()
            .any(|j| j.purpose == "team_notification" && j.status == "sent")
    })
    .await;
    let held = worker
        .outbox()
        .into_iter()
        .find(|j| j.purpose == "reader_ack")
        .unwrap();
    assert_eq!(
        (held.status.as_str(), held.lease_owner.as_deref()),
        ("pending", Some("live-instance"))
    );
    assert_eq!(relay.mails().len(), 1, "a live lease is not taken over");
}

// ---------------------------------------------------------------------------------------------
// The claim takes at most n

/// Steers PostgreSQL's planner to the plan that rescans the claim's subquery for every row of
/// the outbox (a nested-loop semi join), which statistics may lead it to on its own.
const RESCANNING_PLAN: &str = "SET enable_hashjoin = off; SET enable_mergejoin = off; \
     SET enable_material = off; SET enable_hashagg = off; SET enable_sort = off;";

async fn the_claim_never_takes_more_than_it_asks_for(b: Backend) {
    let (db, web) = queue(b, 20).await;
    if b == Backend::Postgres {
        exec(&db, "ANALYZE outbox");
    }
    let claimers: Vec<_> = (0..4)
        .map(|n| {
            let mut conn = connect(&db);
            if b == Backend::Postgres {
                conn.batch_execute(RESCANNING_PLAN).unwrap();
            }
            std::thread::spawn(move || {
                let mut taken = Vec::new();
                loop {
                    let owner = format!("claimer-{n}");
                    let jobs = claim(&mut conn, &owner, Duration::from_secs(300), 3);
                    assert!(jobs.len() <= 3, "a claim of 3 took {}", jobs.len());
                    if jobs.is_empty() {
                        return taken;
                    }
                    taken.extend(jobs);
                }
            })
        })
        .collect();
    let mut taken = Vec::new();
    for claimer in claimers {
        taken.extend(claimer.join().unwrap());
    }
    assert_eq!(taken.len(), 40, "every job claimed");
    assert_eq!(taken.iter().collect::<HashSet<_>>().len(), 40, "once");
    assert!(web.outbox().iter().all(|j| j.attempts == 1));
}

// ---------------------------------------------------------------------------------------------
// A batch that outlasts its lease

async fn leases_are_renewed_while_a_long_batch_is_sent(b: Backend) {
    let (db, web) = queue(b, 8).await;
    // 16 e-mails of 0.9 s each in one batch: 14 s, under a lease of 13 s.
    let relay = Relay::start(None, Duration::from_millis(900));
    let _worker = spawn_app_with(db.clone(), relay.port, |s| {
        s.mail.concurrency = 1;
        s.mail.batch_size = 16;
        s.mail.smtp_timeout_ms = 2000;
        s.mail.lease_ms = 13_000;
    })
    .await;
    eventually("the batch under way", Duration::from_secs(10), || {
        !relay.mails().is_empty()
    })
    .await;
    // Another worker keeps trying to claim while the batch is sent.
    let mut rival = connect(&db);
    let mut stolen = Vec::new();
    while !all_sent(&web) {
        stolen.extend(claim(&mut rival, "rival", Duration::from_secs(60), 16));
        assert!(stolen.is_empty(), "a job was taken from a live sender");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let accepted = relay.accepted();
    assert_eq!(accepted.len(), 16);
    assert_eq!(accepted.iter().collect::<HashSet<_>>().len(), 16);
    assert!(web.outbox().iter().all(|j| j.attempts == 1));
}

// ---------------------------------------------------------------------------------------------
// Outcomes that cannot be recorded at shutdown

async fn an_unrecorded_outcome_at_shutdown_is_not_made_due_again(b: Backend) {
    let (db, web) = queue(b, 1).await;
    // Recording "sent" fails whatever the worker does.
    let refuse = match b {
        Backend::Postgres => {
            "CREATE FUNCTION refuse_sent() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'outcomes refused'; END $$; \
             CREATE TRIGGER refuse_sent BEFORE UPDATE ON outbox FOR EACH ROW \
             WHEN (NEW.status = 'sent') EXECUTE FUNCTION refuse_sent();"
        }
        Backend::Sqlite => {
            "CREATE TRIGGER refuse_sent BEFORE UPDATE ON outbox WHEN NEW.status = 'sent' \
             BEGIN SELECT RAISE(ABORT, 'outcomes refused'); END;"
        }
    };
    web.with_conn(|c| c.batch_execute(refuse).unwrap());
    let relay = Relay::start(None, Duration::ZERO);
    let settings = test_settings(&db.url, relay.port);
    let target = courrier::mail::SmtpTarget::parse(&format!("smtp://127.0.0.1:{}", relay.port));
    let worker = courrier::mail::Worker::start(
        web.pool.clone(),
        courrier::mail::Transport::Smtp(target.unwrap()),
        &settings.mail,
        courrier::mail::teams(&settings),
        Arc::new(tokio::sync::Notify::new()),
        Arc::new(courrier::instruments::Instruments::new()),
    );
    eventually("both accepted", Duration::from_secs(10), || {
        relay.accepted().len() == 2
    })
    .await;
    worker.shutdown().await;
    for job in web.outbox() {
        assert_eq!(job.status, "pending");
        assert_eq!(job.attempts, 1, "the attempt is not given back");
        assert!(
            job.lease_owner.is_some(),
            "a sent job keeps its lease, so it does not go again at once"
        );
    }
    // Not due before its lease runs out, by the database's clock.
    let mut conn = connect(&db);
    let claimed = claim(&mut conn, "next", Duration::from_secs(60), 16);
    assert!(claimed.is_empty(), "a sent e-mail was due again");
}

crate::on_both_backends!(
    a_crash_after_the_relay_accepts_does_not_send_that_email_again,
    the_claim_never_takes_more_than_it_asks_for,
    leases_are_renewed_while_a_long_batch_is_sent,
    an_unrecorded_outcome_at_shutdown_is_not_made_due_again,
);

// ---------------------------------------------------------------------------------------------
// The lease rule in the settings check

#[test]
fn a_lease_must_outlast_two_sends_not_a_whole_batch() {
    let mut settings = test_settings("sqlite://unused.db", 25);
    settings.mail.batch_size = 16;
    settings.mail.smtp_timeout_ms = 30_000;
    settings.mail.lease_ms = 150_000;
    settings
        .validate()
        .expect("a lease renewed per send needs no room for the whole batch");
    settings.mail.lease_ms = 124_000;
    let err = settings.validate().unwrap_err().to_string();
    assert!(err.contains("mail.lease_ms"), "{err}");
    let defaults = courrier::config::Settings::load(&courrier::config::Sources {
        environment: Some("local".into()),
        extra_file: None,
        config_dir: Some(std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")),
        env_vars: Some(Default::default()),
    })
    .unwrap();
    assert!(
        defaults.mail.lease_ms <= 5 * 60 * 1000,
        "a crashed instance's e-mails wait at most a few minutes"
    );
}
