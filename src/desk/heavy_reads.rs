//! The lane of reads that scan whole periods or the whole table (the desk report, text search
//! of submissions): at most `database.heavy_reads.connections` at once, each on a connection of
//! the lane's own pool, so that however many staff ask at once, the intake and every other
//! request keep the main pool. Past the bound the answer is "unavailable, retry" at once (503
//! with `Retry-After`), as the sign-in hashing queue answers when full, rather than a wait that
//! would hold a blocking thread.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::db::{self, DbConnection, DbError, Pool};

pub struct HeavyReads {
    pool: Pool,
    permits: Arc<Semaphore>,
}

impl HeavyReads {
    /// A lane over its own pool, `connections` reads at once.
    pub fn new(pool: Pool, connections: u32) -> HeavyReads {
        HeavyReads {
            pool,
            permits: Arc::new(Semaphore::new(connections as usize)),
        }
    }

    /// Runs `f` on one of the lane's connections, or answers `Unavailable` at once when the
    /// lane is full.
    pub async fn run<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, DbError> + Send + 'static,
    {
        let Ok(_permit) = self.permits.clone().try_acquire_owned() else {
            return Err(DbError::Unavailable(
                "reports and searches: as many running as allowed".into(),
            ));
        };
        db::run(&self.pool, f).await
    }
}
