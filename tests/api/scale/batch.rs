//! Group commit at the writer: submissions handed over together share one transaction, and a
//! clash or a bad row in it is settled for that one submission alone.

use std::sync::Arc;

use courrier::db::intake::{NewIntake, Stored};
use courrier::db::DbError;
use courrier::desk::idempotency::{Fingerprint, IdempotencyKey, Keyed};
use courrier::desk::intake::{prepare, ClientMeta};
use courrier::desk::Context;
use courrier::domain::{Locale, NewSubmission, RawNewsroom, Reference};
use courrier::instruments::Instruments;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use futures_util::future::join_all;

use crate::helpers::{free_port, test_settings, Backend, TestDb};

/// The desk on a fresh database, whose writer takes up to `batch` submissions at once and
/// waits long enough for those it is told are on their way.
pub(super) async fn desk(
    b: Backend,
    batch: usize,
    tweak: impl FnOnce(&mut courrier::config::Settings),
) -> (Context, Arc<TestDb>) {
    let db = Arc::new(TestDb::new(b));
    let mut settings = test_settings(&db.url, free_port());
    settings.mail.run_worker = false;
    settings.database.group_commit.max_batch = batch;
    settings.database.group_commit.max_wait_us = 1_000_000;
    tweak(&mut settings);
    let desk = Context::open(settings, Arc::new(Instruments::new()))
        .await
        .unwrap();
    (desk, db)
}

fn submission(name: &str, email: &str) -> NewSubmission {
    NewSubmission::from_newsroom(
        RawNewsroom {
            name: Some(name.into()),
            email: Some(email.into()),
            topic: Some("tip".into()),
            message: Some(format!("Le message de {name}")),
            consent: Some(true),
            ..Default::default()
        },
        Locale::Fr,
    )
    .unwrap()
}

pub(super) fn intake(desk: &Context, name: &str, reference: &str, key: Option<&str>) -> NewIntake {
    let meta = ClientMeta {
        idempotency: key.map(|k| Keyed {
            key: IdempotencyKey::parse(k.as_bytes()).unwrap(),
            fingerprint: Fingerprint::of("json", name.as_bytes()),
        }),
        ..ClientMeta::default()
    };
    let email = format!("{}@example.fr", name.to_lowercase());
    prepare(
        desk,
        &submission(name, &email),
        &meta,
        &[],
        &Reference::parse(reference).unwrap(),
        courrier::db::now(),
    )
    .unwrap()
}

/// Hands the intakes to the writer together (each announced first, so they form one batch) and
/// returns what became of each.
async fn together(desk: &Context, intakes: Vec<NewIntake>) -> Vec<Result<Stored, DbError>> {
    let mut ways: Vec<_> = intakes
        .iter()
        .map(|_| desk.intake_writer.on_its_way())
        .collect();
    join_all(
        intakes
            .into_iter()
            .zip(ways.iter_mut())
            .map(|(intake, way)| desk.intake_writer.store(intake, way)),
    )
    .await
}

pub(super) fn count(desk: &Context, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = desk.pool.get().unwrap();
    diesel::sql_query(sql)
        .get_result::<Count>(&mut **conn)
        .unwrap()
        .n
}

/// Rows anywhere that belong to submission `id`.
fn traces_of(desk: &Context, id: &str) -> i64 {
    [
        "submissions WHERE id",
        "outbox WHERE submission_id",
        "events WHERE submission_id",
        "idempotency_keys WHERE submission_id",
    ]
    .iter()
    .map(|w| count(desk, &format!("SELECT COUNT(*) AS n FROM {w} = '{id}'")))
    .sum()
}

/// A counter of the desk's metrics (0 when never counted).
fn metric(desk: &Context, name: &str) -> u64 {
    desk.instruments
        .render()
        .lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or(0)
}

/// The batches were written as such, none split into single submissions.
fn written_whole(desk: &Context, batches: u64, submissions: u64) {
    assert_eq!(metric(desk, "courrier_intake_batches_total"), batches);
    assert_eq!(
        metric(desk, "courrier_intake_batched_submissions_total"),
        submissions
    );
    assert_eq!(metric(desk, "courrier_intake_batch_splits_total"), 0);
}

fn stored(outcomes: &[Result<Stored, DbError>]) -> Vec<Option<Stored>> {
    outcomes.iter().map(|o| o.as_ref().ok().copied()).collect()
}

async fn a_reference_taken_in_a_batch_sends_that_submission_back_alone(b: Backend) {
    let (desk, _db) = desk(b, 4, |_| {}).await;
    let before = together(&desk, vec![intake(&desk, "Avant", "AAAA-0000", None)]).await;
    assert_eq!(stored(&before), [Some(Stored::Done)]);
    let batch = vec![
        intake(&desk, "Anne", "AAAA-0001", None),
        intake(&desk, "Bruno", "AAAA-0001", None), // the same as its neighbour's
        intake(&desk, "Chloe", "AAAA-0000", None), // taken before the batch
        intake(&desk, "Denis", "AAAA-0002", None),
    ];
    let (bruno, chloe) = (
        batch[1].submission.id.clone(),
        batch[2].submission.id.clone(),
    );
    let outcomes = together(&desk, batch).await;
    assert_eq!(
        stored(&outcomes),
        [
            Some(Stored::Done),
            Some(Stored::ReferenceTaken),
            Some(Stored::ReferenceTaken),
            Some(Stored::Done)
        ]
    );
    assert_eq!(
        traces_of(&desk, &bruno),
        0,
        "nothing of a clashing submission is written"
    );
    assert_eq!(traces_of(&desk, &chloe), 0);
    assert_eq!(count(&desk, "SELECT COUNT(*) AS n FROM submissions"), 3);
    assert_eq!(count(&desk, "SELECT COUNT(*) AS n FROM outbox"), 6);
    assert_eq!(count(&desk, "SELECT COUNT(*) AS n FROM events"), 3);
    // Drawn again, it goes through (what `submit` does on ReferenceTaken).
    let again = together(&desk, vec![intake(&desk, "Bruno", "AAAA-0003", None)]).await;
    assert_eq!(stored(&again), [Some(Stored::Done)]);
}

async fn an_idempotency_race_in_a_batch_keeps_the_first_post(b: Backend) {
    let (desk, _db) = desk(b, 3, |_| {}).await;
    let batch = vec![
        intake(&desk, "Anne", "BBBB-0001", Some("cle-1")),
        intake(&desk, "Anne", "BBBB-0002", Some("cle-1")),
        intake(&desk, "Chloe", "BBBB-0003", None),
    ];
    let (first, second) = (
        batch[0].submission.id.clone(),
        batch[1].submission.id.clone(),
    );
    let outcomes = together(&desk, batch).await;
    assert_eq!(
        stored(&outcomes),
        [
            Some(Stored::Done),
            Some(Stored::KeyTaken),
            Some(Stored::Done)
        ]
    );
    assert_eq!(
        traces_of(&desk, &second),
        0,
        "the second post under the key left nothing"
    );
    assert_eq!(
        count(
            &desk,
            &format!("SELECT COUNT(*) AS n FROM idempotency_keys WHERE submission_id = '{first}'")
        ),
        1
    );
    assert_eq!(count(&desk, "SELECT COUNT(*) AS n FROM submissions"), 2);
}

async fn one_bad_row_fails_alone_and_its_neighbours_are_stored(b: Backend) {
    let (desk, _db) = desk(b, 3, |_| {}).await;
    let sql = match b {
        Backend::Sqlite => "CREATE TRIGGER poison BEFORE INSERT ON submissions \
            WHEN NEW.name = 'Poison' BEGIN SELECT RAISE(ABORT, 'simulated failure'); END;",
        Backend::Postgres => "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN \
            IF NEW.name = 'Poison' THEN RAISE EXCEPTION 'simulated failure'; END IF; \
            RETURN NEW; END $$ LANGUAGE plpgsql; \
            CREATE TRIGGER poison BEFORE INSERT ON submissions FOR EACH ROW EXECUTE FUNCTION poison();",
    };
    desk.pool.get().unwrap().batch_execute(sql).unwrap();
    let batch = vec![
        intake(&desk, "Anne", "CCCC-0001", None),
        intake(&desk, "Poison", "CCCC-0002", None),
        intake(&desk, "Chloe", "CCCC-0003", None),
    ];
    let poison = batch[1].submission.id.clone();
    let outcomes = together(&desk, batch).await;
    assert!(matches!(outcomes[0], Ok(Stored::Done)));
    assert!(outcomes[1].is_err(), "the bad row fails");
    assert!(matches!(outcomes[2], Ok(Stored::Done)));
    assert_eq!(traces_of(&desk, &poison), 0);
    assert_eq!(metric(&desk, "courrier_intake_batch_splits_total"), 1);
    assert_eq!(count(&desk, "SELECT COUNT(*) AS n FROM submissions"), 2);
    assert_eq!(count(&desk, "SELECT COUNT(*) AS n FROM outbox"), 4);
}

async fn acknowledgement_caps_count_neighbours_in_one_batch(b: Backend) {
    let (desk, _db) = desk(b, 4, |s| s.limits.ack_per_mailbox_per_day = 2).await;
    // Four posts from one reader in one batch: the cap lets two acknowledgements through.
    let batch = ["DDDD-0001", "DDDD-0002", "DDDD-0003", "DDDD-0004"]
        .iter()
        .map(|r| intake(&desk, "Anne", r, None))
        .collect();
    let outcomes = together(&desk, batch).await;
    assert!(outcomes.iter().all(|o| matches!(o, Ok(Stored::Done))));
    written_whole(&desk, 1, 4);
    let acks = "SELECT COUNT(*) AS n FROM outbox WHERE purpose = 'reader_ack'";
    assert_eq!(count(&desk, acks), 2);
    let team = "SELECT COUNT(*) AS n FROM outbox WHERE purpose = 'team_notification'";
    assert_eq!(count(&desk, team), 4, "the team hears of every submission");
    let skipped = "SELECT COUNT(*) AS n FROM events WHERE kind = 'ack_skipped' \
        AND detail LIKE '%ack_per_mailbox_per_day%'";
    assert_eq!(count(&desk, skipped), 2);
    assert_eq!(count(&desk, "SELECT COUNT(*) AS n FROM ack_log"), 2);
    // The next batch sees the log of the first.
    let later = together(
        &desk,
        vec![
            intake(&desk, "Anne", "DDDD-0005", None),
            intake(&desk, "Zoe", "DDDD-0006", None),
        ],
    )
    .await;
    assert!(later.iter().all(|o| matches!(o, Ok(Stored::Done))));
    assert_eq!(
        count(&desk, acks),
        3,
        "only the other reader is acknowledged"
    );
}

async fn with_group_commit_off_each_submission_is_written_alone(b: Backend) {
    let (desk, _db) = desk(b, 4, |s| s.database.group_commit.enabled = false).await;
    let outcomes = together(
        &desk,
        vec![
            intake(&desk, "Anne", "EEEE-0001", None),
            intake(&desk, "Bruno", "EEEE-0001", None),
        ],
    )
    .await;
    let mut fates = stored(&outcomes);
    fates.sort_by_key(|f| format!("{f:?}"));
    assert_eq!(fates, [Some(Stored::Done), Some(Stored::ReferenceTaken)]);
    assert_eq!(count(&desk, "SELECT COUNT(*) AS n FROM submissions"), 1);
    assert_eq!(
        metric(&desk, "courrier_intake_batches_total"),
        0,
        "no writer task"
    );
}

crate::on_both_backends!(
    a_reference_taken_in_a_batch_sends_that_submission_back_alone,
    an_idempotency_race_in_a_batch_keeps_the_first_post,
    one_bad_row_fails_alone_and_its_neighbours_are_stored,
    acknowledgement_caps_count_neighbours_in_one_batch,
    with_group_commit_off_each_submission_is_written_alone,
);
