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
