//! What can go wrong with storage, sorted by what the caller should do about it, and the clock
//! that every stored time is read from. They sit below every layer (as the error of a model
//! service does), so that the use cases and the ways in can answer a failure without naming the
//! storage layer: the cause is kept as a source for the logs, never as a storage type.

/// What went wrong with the database, sorted by what the caller should do about it.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Unreachable, pool exhausted, locked: try again later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("unique constraint violated: {0}")]
    UniqueViolation(String),
    /// A row points at one that is not there (or no longer is).
    #[error("foreign key violated: {0}")]
    ForeignKeyViolation(String),
    #[error("row not found")]
    NotFound,
    #[error("database error")]
    Query(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("blocking database task failed: {0}")]
    Task(String),
}

impl DbError {
    /// For a write that hangs rows on a submission read a moment before: a foreign-key
    /// violation means the submission was deleted in between (an erasure or a purge), so the
    /// answer is the one a read a moment later would give, `NotFound`, not a failure.
    pub fn parent_gone(self) -> DbError {
        match self {
            DbError::ForeignKeyViolation(_) => DbError::NotFound,
            other => other,
        }
    }
}

/// The current time as the database stores it: naive UTC, to the microsecond (PostgreSQL's
/// precision), so a value read back compares equal to the one written.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}
