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
