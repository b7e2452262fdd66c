//! The only module that names diesel: connections to PostgreSQL or SQLite, the pool, the
//! blocking-call helper, transactions, migrations and the queries.

pub mod acks;
pub mod activity;
pub mod bounces;
pub mod corrections;
pub mod duties;
pub mod events;
pub mod handovers;
pub mod idempotency;
pub mod inbound_mail;
pub mod inbound_seen;
pub mod intake;
pub mod invitations;
pub mod leases;
pub mod messages;
pub mod notes;
pub mod outbox;
pub mod privacy;
pub mod report;
pub mod retention;
pub mod saved_replies;
pub mod schema;
pub mod signin;
pub mod staff;
pub mod submissions;
pub mod triage;
pub mod types;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub use crate::config::Backend;
use crate::config::{DatabaseSettings, SqliteSynchronous};
use secrecy::ExposeSecret;

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
/// Key of the PostgreSQL advisory lock that serialises migrations across instances.
const MIGRATION_LOCK: i64 = 0x436f_7572_7269_6572; // "Courrier"

/// One connection to whichever database the URL names.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

pub use crate::domain::{now, DbError};

impl From<DieselError> for DbError {
    fn from(e: DieselError) -> Self {
        match &e {
            DieselError::NotFound => DbError::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                DbError::UniqueViolation(
                    info.constraint_name().unwrap_or(info.message()).to_owned(),
                )
            }
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
                DbError::ForeignKeyViolation(info.message().to_owned())
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                DbError::Unavailable(info.message().to_owned())
            }
            DieselError::DatabaseError(_, info) if is_unavailable(info.message()) => {
                DbError::Unavailable(info.message().to_owned())
            }
            _ => DbError::Query(Box::new(e)),
        }
    }
}

/// Messages of the errors that mean "not now" rather than "never".
fn is_unavailable(message: &str) -> bool {
    const SIGNS: [&str; 9] = [
        // A heavy read past its statement timeout (PostgreSQL).
        "canceling statement due to statement timeout",
        "database is locked",
        "database is busy",
        "database table is locked",
        "terminating connection",
        "server closed the connection",
        "no connection to the server",
        "connection to server",
        "the database system is",
    ];
    SIGNS.iter().any(|s| message.contains(s))
}

impl From<r2d2::Error> for DbError {
    fn from(e: r2d2::Error) -> Self {
        DbError::Unavailable(e.to_string())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ManagerError {
    #[error(transparent)]
    Connect(#[from] ConnectionError),
    #[error(transparent)]
    Query(#[from] DieselError),
    #[error("cannot create the SQLite directory: {0}")]
    Io(#[from] std::io::Error),
}

/// Opens connections for the pool. It picks the backend from the URL itself, so the real
/// connection error reaches the operator, and sets SQLite's pragmas on every connection.
#[derive(Debug, Clone)]
pub struct Manager {
    write_lock: WriteLock,
    backend: Backend,
    url: String,
    busy_timeout_ms: u64,
    synchronous: SqliteSynchronous,
    /// Set for the heavy reads' connections (`pool_for_heavy_reads`): their PostgreSQL
    /// statement timeout; their SQLite connections are read-only.
    heavy_read_timeout_ms: Option<u64>,
}

impl Manager {
    pub fn new(settings: &DatabaseSettings) -> Result<Manager, ManagerError> {
        let url = settings.url.expose_secret();
        let backend = Backend::from_url(url).ok_or_else(|| {
            ManagerError::Connect(ConnectionError::InvalidConnectionUrl(
                "expected sqlite:// or postgres://".into(),
            ))
        })?;
        Ok(Manager {
            write_lock: WriteLock::default(),
            backend,
            url: url.to_owned(),
            busy_timeout_ms: settings.sqlite_busy_timeout_ms,
            synchronous: settings.sqlite_synchronous,
            heavy_read_timeout_ms: None,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    fn sqlite_path(&self) -> &str {
        self.url.trim_start_matches("sqlite://")
    }
}

/// A pooled connection, and whether a failure showed it is no longer usable.
pub struct PooledConn {
    conn: DbConnection,
    broken: bool,
    write_lock: WriteLock,
}

impl PooledConn {
    /// After an "unavailable" error: true when the server side is gone (PostgreSQL), false when
    /// the database was only busy (SQLite's lock), so a busy connection is kept.
    fn backend_gone(&mut self) -> bool {
        match &mut self.conn {
            DbConnection::Sqlite(_) => false,
            DbConnection::Pg(pg) => pg.batch_execute("SELECT 1").is_err(),
        }
    }
}

impl std::ops::Deref for PooledConn {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for PooledConn {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = PooledConn;
    type Error = ManagerError;

    fn connect(&self) -> Result<PooledConn, ManagerError> {
        Ok(PooledConn {
            conn: self.establish()?,
            broken: false,
            write_lock: self.write_lock.clone(),
        })
    }

    /// Not called on check-out (that would cost a round trip per request): a connection is
    /// dropped instead when a query on it fails for want of a database.
    fn is_valid(&self, conn: &mut PooledConn) -> Result<(), ManagerError> {
        Ok(conn.batch_execute("SELECT 1")?)
    }

    fn has_broken(&self, conn: &mut PooledConn) -> bool {
        use diesel::connection::TransactionManager;
        conn.broken
            || <DbConnection as Connection>::TransactionManager::is_broken_transaction_manager(
                &mut conn.conn,
            )
    }
}

impl Manager {
    /// Opens one connection, outside any pool.
    pub fn establish(&self) -> Result<DbConnection, ManagerError> {
        match self.backend {
            Backend::Postgres => {
                let mut conn = PgConnection::establish(&self.url)?;
                if let Some(ms) = self.heavy_read_timeout_ms {
                    conn.batch_execute(&format!("SET statement_timeout = {ms}"))?;
                }
                Ok(DbConnection::Pg(conn))
            }
            Backend::Sqlite => {
                let path = self.sqlite_path();
                if let Some(dir) = Path::new(path)
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                {
                    std::fs::create_dir_all(dir)?;
                }
                let mut conn = SqliteConnection::establish(path)?;
                // secure_delete: an erased reader's words must not linger in freed pages.
                let sync = match self.synchronous {
                    SqliteSynchronous::Normal => "NORMAL",
                    SqliteSynchronous::Full => "FULL",
                };
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = {sync}; PRAGMA foreign_keys = ON; \
                     PRAGMA secure_delete = ON;",
                    self.busy_timeout_ms
                ))?;
                if self.heavy_read_timeout_ms.is_some() {
                    // Heavy reads only read: this connection cannot write by mistake.
                    conn.batch_execute("PRAGMA query_only = ON;")?;
                }
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

pub type Pool = r2d2::Pool<Manager>;

/// Builds the pool without connecting; start-up connects once itself to report real errors.
pub fn pool(settings: &DatabaseSettings) -> Result<Pool, ManagerError> {
    let manager = Manager::new(settings)?;
    Ok(r2d2::Pool::builder()
        .max_size(settings.pool_size)
        .min_idle(Some(0))
        .test_on_check_out(false)
        .connection_timeout(Duration::from_millis(settings.acquire_timeout_ms))
        .error_handler(Box::new(r2d2::NopErrorHandler))
        .build_unchecked(manager))
}

/// The heavy reads' own pool (`database.heavy_reads`): reports and text searches, outside
/// `pool_size`, so they never hold the connections the intake needs.
pub fn pool_for_heavy_reads(settings: &DatabaseSettings) -> Result<Pool, ManagerError> {
    let mut manager = Manager::new(settings)?;
    manager.heavy_read_timeout_ms = Some(settings.heavy_reads.statement_timeout_ms);
    Ok(r2d2::Pool::builder()
        .max_size(settings.heavy_reads.connections)
        .min_idle(Some(0))
        .test_on_check_out(false)
        .connection_timeout(Duration::from_millis(settings.acquire_timeout_ms))
        .error_handler(Box::new(r2d2::NopErrorHandler))
        .build_unchecked(manager))
}

/// Runs a database call on the blocking pool, inside the caller's tracing span.
pub async fn run<T, F>(pool: &Pool, f: F) -> Result<T, DbError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, DbError> + Send + 'static,
{
    let pool = pool.clone();
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let mut conn = pool.get()?;
        WRITE_LOCK.with(|l| *l.borrow_mut() = Some(conn.write_lock.clone()));
        let result = f(&mut conn);
        WRITE_LOCK.with(|l| *l.borrow_mut() = None);
        if matches!(result, Err(DbError::Unavailable(_))) && conn.backend_gone() {
            conn.broken = true;
        }
        result
    })
    .await
    .map_err(|e| DbError::Task(e.to_string()))?
}

thread_local! {
    /// The write lock of the pool whose connection this blocking thread is using (see `run`).
    static WRITE_LOCK: std::cell::RefCell<Option<WriteLock>> = const { std::cell::RefCell::new(None) };
    /// Whether this thread holds that lock now (so a write inside a write does not wait on
    /// itself).
    static HOLDING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` holding the pool's SQLite write lock, unless this thread holds it already.
fn with_writer<T>(f: impl FnOnce() -> T) -> T {
    struct Held;
    impl Drop for Held {
        fn drop(&mut self) {
            HOLDING.with(|h| h.set(false));
        }
    }
    if HOLDING.with(std::cell::Cell::get) {
        return f();
    }
    let Some(lock) = WRITE_LOCK.with(|l| l.borrow().clone()) else {
        return f();
    };
    // A poisoned lock only means another writer panicked; the database is still sound.
    let _guard = lock
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    HOLDING.with(|h| h.set(true));
    let _held = Held;
    f()
}

/// A write outside a transaction (a single statement). On SQLite it queues on the pool's write
/// lock as `write_tx` does, rather than in SQLite's busy handler.
pub fn write<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, DbError>,
) -> Result<T, DbError> {
    match conn {
        DbConnection::Pg(_) => f(conn),
        DbConnection::Sqlite(_) => with_writer(|| f(conn)),
    }
}

/// How long truncating SQLite's write-ahead log waits for readers to finish.
const WAL_TRUNCATE_WAIT_MS: u32 = 250;

/// After an erasure or a purge on SQLite: copies the write-ahead log into the database file
/// and truncates it to nothing, so that the pages as they were before (holding what was just
/// deleted) do not linger in the `-wal` file, as they do after a passive checkpoint, which
/// leaves the file's content in place. Readers in flight can keep it from completing (it
/// waits `WAL_TRUNCATE_WAIT_MS` for them): `Ok(false)`, and the next one tries again. PostgreSQL
/// keeps no such file: `Ok(true)`.
pub fn truncate_wal(conn: &mut DbConnection) -> Result<bool, DbError> {
    #[derive(diesel::QueryableByName)]
    struct Checkpoint {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        busy: i32,
    }
    #[derive(diesel::QueryableByName)]
    struct BusyTimeout {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        timeout: i32,
    }
    match conn {
        DbConnection::Pg(_) => Ok(true),
        // It holds the writers back while it waits for readers: briefly, under the pool's
        // write lock, rather than for the whole busy timeout.
        DbConnection::Sqlite(sqlite) => with_writer(|| {
            let usual =
                diesel::sql_query("PRAGMA busy_timeout").get_result::<BusyTimeout>(sqlite)?;
            sqlite.batch_execute(&format!("PRAGMA busy_timeout = {WAL_TRUNCATE_WAIT_MS}"))?;
            let done = diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)")
                .get_result::<Checkpoint>(sqlite);
            sqlite.batch_execute(&format!("PRAGMA busy_timeout = {}", usual.timeout))?;
            Ok(done?.busy == 0)
        }),
    }
}

/// Serialises one pool's SQLite writers. Waiting here queues them fairly; waiting in SQLite's
/// busy handler instead sleeps in growing steps and gave 100 ms+ tails under load.
type WriteLock = Arc<std::sync::Mutex<()>>;

/// A write transaction. SQLite takes the write lock up front (`BEGIN IMMEDIATE`) so two writers
/// wait for each other instead of failing at the first write.
pub fn write_tx<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    E: From<DieselError>,
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
{
    match conn {
        DbConnection::Pg(_) => conn.transaction(f),
        DbConnection::Sqlite(_) => with_writer(|| {
            conn.batch_execute("BEGIN IMMEDIATE")?;
            let result = f(conn).and_then(|v| {
                conn.batch_execute("COMMIT")?;
                Ok(v)
            });
            if result.is_err() {
                // Nothing to do if the rollback fails too: the transaction is already gone.
                let _ = conn.batch_execute("ROLLBACK");
            }
            result
        }),
    }
}

/// A read of several statements that must see one state of the database: a row listed by the
/// first must still be there for the last, even if another request deletes it meanwhile (an
/// erasure while an export reads). PostgreSQL gives the transaction one snapshot
/// (`REPEATABLE READ`, read only); SQLite's deferred transaction does the same in WAL mode from
/// its first read, without taking the write lock.
pub fn snapshot<T, F>(conn: &mut DbConnection, f: F) -> Result<T, DbError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, DbError>,
{
    match conn {
        DbConnection::Pg(_) => conn.transaction(|conn| {
            conn.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
            f(conn)
        }),
        DbConnection::Sqlite(_) => conn.transaction(f),
    }
}

/// A write transaction whose loss in a crash of the database server would cost a repeat, never
/// a loss: the outbox worker's claims and outcomes (a claim lost is claimed again when its lease
/// runs out; a delivery mark lost sends the message again, with the same `Message-ID`). On
/// PostgreSQL it commits without waiting for its WAL flush (`synchronous_commit = off`, for
/// this transaction only), so it does not queue for an fsync in front of the submissions, whose
/// commits still wait for theirs. A crash of Courrier itself loses nothing: the commit is made.
pub fn write_relaxed<T, F>(conn: &mut DbConnection, f: F) -> Result<T, DbError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, DbError>,
{
    match conn {
        DbConnection::Pg(_) => conn.transaction(|conn| {
            conn.batch_execute("SET LOCAL synchronous_commit = off")?;
            f(conn)
        }),
        DbConnection::Sqlite(_) => write_tx(conn, f),
    }
}

/// A write transaction whose body fails with the caller's own error (a use case's), which
/// rolls it back like a database error does.
pub fn transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    E: From<DbError>,
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
{
    enum Abort<E> {
        Caller(E),
        Db(DieselError),
    }
    impl<E> From<DieselError> for Abort<E> {
        fn from(e: DieselError) -> Self {
            Abort::Db(e)
        }
    }
    write_tx(conn, |conn| f(conn).map_err(Abort::Caller)).map_err(|e| match e {
        Abort::Caller(e) => e,
        Abort::Db(e) => E::from(DbError::from(e)),
    })
}

#[derive(Debug, thiserror::Error)]
#[error("migrations failed: {0}")]
pub struct MigrationError(String);

/// How long a migration waits for another process's migrations (or a long write) to finish on
/// SQLite, before it gives up with "database is locked".
const SQLITE_MIGRATION_WAIT_MS: u64 = 10 * 60 * 1000;

/// Runs SQLite's pending migrations inside one exclusive transaction, waiting up to
/// `SQLITE_MIGRATION_WAIT_MS` for it. Two processes migrating one new file at once each read
/// the list of pending migrations, then both applied the first ("duplicate column name",
/// "index … already exists"); with the lock the second finds nothing left to do. Each migration
/// runs in a savepoint inside it, as diesel nests transactions.
fn migrate_sqlite_locked(sq: &mut SqliteConnection) -> Result<usize, MigrationError> {
    #[derive(QueryableByName)]
    struct Timeout {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        timeout: i64,
    }
    enum Failed {
        Db(DieselError),
        Migration(Box<dyn std::error::Error + Send + Sync>),
    }
    impl From<DieselError> for Failed {
        fn from(e: DieselError) -> Self {
            Failed::Db(e)
        }
    }
    let plain = |e: DieselError| MigrationError(e.to_string());
    let usual = diesel::sql_query("PRAGMA busy_timeout")
        .get_result::<Timeout>(sq)
        .map_err(plain)?
        .timeout;
    sq.batch_execute(&format!("PRAGMA busy_timeout = {SQLITE_MIGRATION_WAIT_MS}"))
        .map_err(plain)?;
    let applied = sq.exclusive_transaction(|sq| {
        sq.run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|v| v.len())
            .map_err(Failed::Migration)
    });
    sq.batch_execute(&format!("PRAGMA busy_timeout = {usual}"))
        .map_err(plain)?;
    applied.map_err(|e| match e {
        Failed::Db(e) => MigrationError(e.to_string()),
        Failed::Migration(e) => MigrationError(e.to_string()),
    })
}

/// Applies pending migrations under a lock, so several instances (or a command run as one
/// starts) can migrate together: on PostgreSQL an advisory lock, on SQLite an exclusive
/// transaction.
pub fn migrate(conn: &mut DbConnection) -> Result<usize, MigrationError> {
    let err = |e: Box<dyn std::error::Error + Send + Sync>| MigrationError(e.to_string());
    match conn {
        DbConnection::Pg(pg) => {
            pg.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                .map_err(|e| MigrationError(e.to_string()))?;
            let applied = pg.run_pending_migrations(PG_MIGRATIONS).map(|v| v.len());
            let unlocked =
                pg.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
            let applied = applied.map_err(err)?;
            unlocked.map_err(|e| MigrationError(e.to_string()))?;
            Ok(applied)
        }
        DbConnection::Sqlite(sq) => {
            // SQLite changes a constraint by building the table again; its foreign keys are
            // off while migrations run (they cannot be switched inside a transaction) and
            // checked as a whole afterwards, as SQLite's documentation prescribes.
            let plain = |e: diesel::result::Error| MigrationError(e.to_string());
            sq.batch_execute("PRAGMA foreign_keys = OFF")
                .map_err(plain)?;
            let applied = migrate_sqlite_locked(sq);
            let broken = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "(SELECT COUNT(*) FROM pragma_foreign_key_check)",
            ))
            .get_result::<i64>(sq)
            .map_err(plain);
            sq.batch_execute("PRAGMA foreign_keys = ON")
                .map_err(plain)?;
            let applied = applied?;
            match broken? {
                0 => Ok(applied),
                n => Err(MigrationError(format!(
                    "{n} row(s) break a foreign key after the migrations"
                ))),
            }
        }
    }
}

/// Whether a text can be looked up at all: PostgreSQL refuses NUL in text, so a lookup by such a
/// key finds nothing rather than failing (SQLite answers the same). Every lookup by a key that
/// came from outside checks it here, once.
pub fn searchable(text: &str) -> bool {
    !text.contains('\0')
}

/// A trivial query: the database answers.
pub fn ping(conn: &mut DbConnection) -> Result<(), DbError> {
    Ok(conn.batch_execute("SELECT 1")?)
}
