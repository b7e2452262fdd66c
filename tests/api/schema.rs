//! Both migration folders must describe the same tables, column for column.

use std::collections::BTreeSet;

use diesel::prelude::*;

use crate::helpers::{Backend, TestDb};

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    data_type: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    nullable: bool,
}

fn normalise(t: &str) -> String {
    match t.to_ascii_lowercase().as_str() {
        "timestamp without time zone" | "timestamp" => "timestamp".into(),
        "integer" | "int" => "integer".into(),
        "bytea" | "blob" => "binary".into(),
        other => other.into(),
    }
}

fn columns(db: &TestDb) -> BTreeSet<(String, String, String, bool)> {
    let settings = crate::helpers::test_settings(&db.url, 25);
    let manager = courrier::db::Manager::new(&settings.database).unwrap();
    let mut conn = manager.establish().unwrap();
    courrier::db::migrate(&mut conn).unwrap();
    let sql = match db.backend() {
        Backend::Postgres => {
            "SELECT table_name::text AS table_name, column_name::text AS column_name, \
            data_type::text AS data_type, (is_nullable = 'YES') AS nullable \
            FROM information_schema.columns WHERE table_schema = 'public' \
            AND table_name <> '__diesel_schema_migrations'"
        }
        Backend::Sqlite => {
            "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
            (p.\"notnull\" = 0 AND p.pk = 0) AS nullable \
            FROM sqlite_master m JOIN pragma_table_xinfo(m.name) p \
            WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
            AND m.name <> '__diesel_schema_migrations'"
        }
    };
    diesel::sql_query(sql)
        .load::<Column>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|c| {
            (
                c.table_name,
                c.column_name,
                normalise(&c.data_type),
                c.nullable,
            )
        })
        .collect()
}

#[test]
fn postgres_and_sqlite_migrations_define_the_same_columns() {
    let sqlite = columns(&TestDb::new(Backend::Sqlite));
    assert!(sqlite.len() > 40, "the SQLite schema has its tables");
    let Some(pg) = Backend::postgres() else {
        eprintln!("TEST_DATABASE_URL is not set: only SQLite checked");
        return;
    };
    let pg = columns(&TestDb::new(pg));
    let only_pg: Vec<_> = pg.difference(&sqlite).collect();
    let only_sqlite: Vec<_> = sqlite.difference(&pg).collect();
    assert!(
        only_pg.is_empty() && only_sqlite.is_empty(),
        "PostgreSQL only: {only_pg:?}\nSQLite only: {only_sqlite:?}"
    );
}

/// Undoes the applied migrations down to, and including, `version` (diesel's form: digits only).
fn revert_through(conn: &mut courrier::db::DbConnection, version: &str) {
    use diesel::connection::SimpleConnection;
    use diesel_migrations::{FileBasedMigrations, MigrationHarness};
    let dir = |backend: &str| {
        FileBasedMigrations::from_path(format!(
            "{}/migrations/{backend}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    loop {
        let undone = match conn {
            courrier::db::DbConnection::Pg(pg) => pg.revert_last_migration(dir("postgres")),
            courrier::db::DbConnection::Sqlite(sq) => {
                // As `db::migrate` does: a table built again must not trip its referrers.
                sq.batch_execute("PRAGMA foreign_keys = OFF").unwrap();
                sq.revert_last_migration(dir("sqlite"))
            }
        }
        .unwrap()
        .to_string();
        if undone == version {
            return;
        }
    }
}

/// The migration that widens the outbox's purposes builds the table again on SQLite: every row
/// stays, and the replies' messages still point at their e-mails, there and back again.
async fn widening_the_outbox_purposes_keeps_every_row_and_link(b: Backend) {
    use crate::helpers::{spawn_app_without_worker, Answer, MailSink, SinkMode};
    let sqlite = matches!(b, Backend::Sqlite);
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app_without_worker(b, sink.port).await;
    let editor = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    let reply = app
        .post_as(&editor, &format!("/v1/submissions/{reference}/replies"))
        .json(&serde_json::json!({"body": "Merci, nous regardons."}))
        .status_code()
        .await;
    assert_eq!(reply, 201);
    let linked = "messages m JOIN outbox o ON o.id = m.outbox_id";
    let before = (app.count("outbox"), app.count(linked));
    assert_eq!(
        before,
        (3, 1),
        "an acknowledgement, a notification and a reply"
    );

    app.with_conn(|c| revert_through(c, "20261203000011"));
    assert_eq!((app.count("outbox"), app.count(linked)), before);
    app.with_conn(|c| courrier::db::migrate(c).unwrap());
    assert_eq!((app.count("outbox"), app.count(linked)), before);
    if sqlite {
        assert_eq!(app.count("pragma_foreign_key_check"), 0, "no dangling link");
    }
}

crate::on_both_backends!(widening_the_outbox_purposes_keeps_every_row_and_link);

/// Every table, index and trigger of a SQLite database as its file defines them, and the
/// migrations it has recorded.
fn sqlite_schema(conn: &mut courrier::db::DbConnection) -> (Vec<(String, String)>, i64) {
    #[derive(QueryableByName)]
    struct Object {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        sql: String,
    }
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let objects = diesel::sql_query(
        "SELECT name, COALESCE(sql, '') AS sql FROM sqlite_master ORDER BY type, name",
    )
    .load::<Object>(conn)
    .unwrap()
    .into_iter()
    .map(|o| (o.name, o.sql))
    .collect();
    let recorded = diesel::sql_query("SELECT COUNT(*) AS n FROM __diesel_schema_migrations")
        .get_result::<Count>(conn)
        .unwrap()
        .n;
    (objects, recorded)
}

/// Two instances (or a CLI command run as the service starts) migrating one new SQLite file at
/// the same moment: both succeed, the migrations run once, and the schema is whole.
#[test]
fn two_migrations_of_one_new_sqlite_file_at_once_both_succeed() {
    use std::sync::{Arc, Barrier};
    let connect = |db: &TestDb| {
        let settings = crate::helpers::test_settings(&db.url, 25);
        courrier::db::Manager::new(&settings.database)
            .unwrap()
            .establish()
            .unwrap()
    };
    let alone = TestDb::new(Backend::Sqlite);
    let mut conn = connect(&alone);
    let total = courrier::db::migrate(&mut conn).unwrap();
    let whole = sqlite_schema(&mut conn);
    assert_eq!(whole.1, i64::try_from(total).unwrap());
    for round in 0..6 {
        let db = TestDb::new(Backend::Sqlite);
        let start = Arc::new(Barrier::new(2));
        let runs: Vec<_> = (0..2)
            .map(|_| {
                let mut conn = connect(&db);
                let start = start.clone();
                std::thread::spawn(move || {
                    start.wait();
                    courrier::db::migrate(&mut conn)
                })
            })
            .collect();
        let applied: Vec<usize> = runs
            .into_iter()
            .map(|run| run.join().unwrap())
            .map(|result| result.unwrap_or_else(|e| panic!("round {round}: {e}")))
            .collect();
        assert_eq!(
            applied.iter().sum::<usize>(),
            total,
            "round {round}: run once"
        );
        assert_eq!(sqlite_schema(&mut connect(&db)), whole, "round {round}");
    }
}

/// `courrier serve` listens only once its migrations have run: a command run as soon as the
/// port answers finds the schema whole. Here the migrations wait on another writer, and the
/// port stays shut until they can run.
#[tokio::test]
async fn serve_opens_its_port_only_once_migrated() {
    use diesel::connection::SimpleConnection;
    use std::net::TcpStream;
    let db = TestDb::new(Backend::Sqlite);
    let port = crate::helpers::free_port();
    let mut settings = crate::helpers::test_settings(&db.url, 25);
    settings.http.address = format!("127.0.0.1:{port}");
    settings.mail.run_worker = false;
    let mut holder = courrier::db::Manager::new(&settings.database)
        .unwrap()
        .establish()
        .unwrap();
    holder.batch_execute("BEGIN EXCLUSIVE").unwrap();
    let watch = async {
        // Not a wait for work: the port must stay shut for as long as the lock is held.
        for _ in 0..15 {
            assert!(
                TcpStream::connect(("127.0.0.1", port)).is_err(),
                "the port opened before the migrations ran"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        holder.batch_execute("ROLLBACK").unwrap();
    };
    let (app, ()) = tokio::join!(courrier::app::Application::build(settings), watch);
    let app = app.unwrap();
    assert_eq!(app.port(), port);
    assert!(TcpStream::connect(("127.0.0.1", port)).is_ok());
    let mut conn = courrier::db::Manager::new(&crate::helpers::test_settings(&db.url, 25).database)
        .unwrap()
        .establish()
        .unwrap();
    assert!(sqlite_schema(&mut conn).1 > 0);
    let server = app.server_handle();
    tokio::spawn(app.run_until_stopped());
    server.stop(false).await;
}
