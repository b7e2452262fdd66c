//! What operators ask of the desk: does the database answer, how full is the outbox, how busy
//! is the pool.

use chrono::NaiveDateTime;

use super::{Context, DbError};
use crate::db;

pub use crate::domain::MailStatus;

/// The database answers a trivial query.
pub async fn database_answers(desk: &Context) -> Result<(), DbError> {
    db::run(&desk.pool, db::ping).await
}

/// Whether the limits are shared (`limits.store` is Redis) but Redis does not answer, so each
/// instance counts alone for now.
pub async fn limits_degraded(desk: &Context) -> bool {
    desk.limit_store.degraded().await
}

/// The outbox by status, and its oldest pending job's age.
pub struct OutboxHealth {
    pub by_status: Vec<(MailStatus, i64)>,
    pub oldest_pending: Option<NaiveDateTime>,
}

pub async fn outbox(desk: &Context) -> Result<OutboxHealth, DbError> {
    let stats = db::run(&desk.pool, db::outbox::stats).await?;
    Ok(OutboxHealth {
        by_status: stats.by_status,
        oldest_pending: stats.oldest_pending,
    })
}

/// Connections of the pool: idle, in use, and the most it opens.
pub struct PoolHealth {
    pub idle: u32,
    pub in_use: u32,
    pub max: u32,
}

pub fn pool(desk: &Context) -> PoolHealth {
    let state = desk.pool.state();
    PoolHealth {
        idle: state.idle_connections,
        in_use: state.connections - state.idle_connections,
        max: desk.pool.max_size(),
    }
}
