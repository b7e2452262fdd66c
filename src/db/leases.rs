//! Leases (`leases`): a background job that one instance at a time runs (the duties scheduler,
//! the retention purge, each IMAP mailbox) holds its lease by name until a time of the
//! database's clock, so that the instances' own clocks never matter.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::schema::leases;
use super::{DbConnection, DbError};

/// Takes the lease `name` for `owner` until `millis` from now (the database's clock) if it is
/// free: never taken, run out, or already this owner's (which renews it). Returns whether it is
/// now held. One statement, so two instances taking it at once cannot both get it: on
/// PostgreSQL the second waits for the first's commit and then finds the lease held.
pub fn take(
    conn: &mut DbConnection,
    name: &str,
    owner: &str,
    millis: i64,
) -> Result<bool, DbError> {
    const PG: &str = "INSERT INTO leases (name, owner, lease_until) \
        VALUES ($1, $2, (now() AT TIME ZONE 'UTC') + $3 * INTERVAL '1 millisecond') \
        ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, lease_until = EXCLUDED.lease_until \
        WHERE leases.lease_until <= (now() AT TIME ZONE 'UTC') \
        OR leases.owner = EXCLUDED.owner";
    const SQLITE: &str = "INSERT INTO leases (name, owner, lease_until) \
        VALUES (?1, ?2, strftime('%Y-%m-%d %H:%M:%f', 'now', (?3 / 1000.0) || ' seconds')) \
        ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until \
        WHERE leases.lease_until <= strftime('%Y-%m-%d %H:%M:%f', 'now') \
        OR leases.owner = excluded.owner";
    let query = |sql| {
        diesel::sql_query(sql)
            .bind::<Text, _>(name.to_owned())
            .bind::<Text, _>(owner.to_owned())
            .bind::<BigInt, _>(millis)
    };
    let taken = match conn {
        DbConnection::Pg(pg) => query(PG).execute(pg)?,
        DbConnection::Sqlite(_) => super::write(conn, |conn| {
            let DbConnection::Sqlite(sq) = conn else {
                return Ok(0);
            };
            Ok(query(SQLITE).execute(sq)?)
        })?,
    };
    Ok(taken == 1)
}

/// Gives the lease back at once, if `owner` still holds it.
pub fn release(conn: &mut DbConnection, name: &str, owner: &str) -> Result<(), DbError> {
    let now = super::duties::clock(conn)?;
    super::write(conn, |conn| {
        diesel::update(
            leases::table
                .filter(leases::name.eq(name))
                .filter(leases::owner.eq(owner)),
        )
        .set(leases::lease_until.eq(now))
        .execute(conn)?;
        Ok(())
    })
}

/// Who holds the lease `name` now, if anyone does.
pub fn holder(conn: &mut DbConnection, name: &str) -> Result<Option<String>, DbError> {
    let now = super::duties::clock(conn)?;
    Ok(leases::table
        .filter(leases::name.eq(name))
        .filter(leases::lease_until.gt(now))
        .select(leases::owner)
        .first(conn)
        .optional()?)
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::sql_types::Text;
    use diesel_migrations::MigrationHarness;

    #[derive(QueryableByName, Debug, PartialEq)]
    struct Lease {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        owner: String,
    }

    #[test]
    fn the_migration_moves_both_old_lease_tables_into_one() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        loop {
            let pending = conn
                .pending_migrations(super::super::SQLITE_MIGRATIONS)
                .unwrap();
            let next = pending.first().expect("the leases migration exists");
            if next.name().to_string().starts_with("2026-12-03-000021") {
                break;
            }
            conn.run_next_migration(super::super::SQLITE_MIGRATIONS)
                .unwrap();
        }
        conn.batch_execute(
            "INSERT INTO scheduler_leases VALUES ('duties.escalations', 'a', '2030-01-01 00:00:00');
             INSERT INTO inbound_leases VALUES ('reader@imap.example:993/INBOX', 'b', '2030-01-01 00:00:00');",
        )
        .unwrap();
        conn.run_next_migration(super::super::SQLITE_MIGRATIONS)
            .unwrap();
        let moved: Vec<Lease> = diesel::sql_query("SELECT name, owner FROM leases ORDER BY name")
            .load(&mut conn)
            .unwrap();
        assert_eq!(
            moved,
            vec![
                Lease {
                    name: "duties.escalations".into(),
                    owner: "a".into()
                },
                Lease {
                    name: "imap:reader@imap.example:993/INBOX".into(),
                    owner: "b".into()
                },
            ]
        );
        let old: i64 = diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('scheduler_leases', 'inbound_leases')",
        )
        .get_result(&mut conn)
        .unwrap();
        assert_eq!(old, 0, "the old tables are gone");
        // And back: the down migration puts them where they were.
        conn.revert_last_migration(super::super::SQLITE_MIGRATIONS)
            .unwrap();
        let back: i64 = diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "SELECT (SELECT COUNT(*) FROM scheduler_leases) + (SELECT COUNT(*) FROM inbound_leases \
             WHERE mailbox = 'reader@imap.example:993/INBOX')",
        )
        .get_result(&mut conn)
        .unwrap();
        assert_eq!(back, 2);
    }

    #[test]
    fn this_branch_s_migrations_go_down_and_up_again() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        conn.batch_execute("PRAGMA foreign_keys = ON").unwrap();
        conn.run_pending_migrations(super::super::SQLITE_MIGRATIONS)
            .unwrap();
        conn.batch_execute(
            "INSERT INTO leases VALUES ('retention.daily', 'a', '2030-01-01 00:00:00')",
        )
        .unwrap();
        for _ in 0..3 {
            conn.revert_last_migration(super::super::SQLITE_MIGRATIONS)
                .unwrap();
        }
        conn.run_pending_migrations(super::super::SQLITE_MIGRATIONS)
            .unwrap();
    }
}
