//! The newsroom's numbers for a period (`GET /v1/reports/desk`): what came in, how fast it was
//! answered, what became of the rights of reply, corrections and spam. Admins see every desk;
//! other staff see their own desk's queues only. Reports run on the heavy reads' lane: a few at
//! once, on connections of their own, so they never starve the intake.

use chrono::NaiveDate;

pub use crate::db::report::Figures;
use crate::db::report::{self as store, Period};
use crate::db::{self, DbError};
use crate::desk::Caller;
use crate::desk::Context;
use crate::domain::Desk;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Db(#[from] DbError),
    /// `from` is after `to`.
    #[error("from is after to")]
    Backwards,
}

/// A report: the days it covers (both included), the desks it counts, and its figures.
#[derive(Debug, Clone)]
pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub desks: Vec<Desk>,
    pub figures: Figures,
}

/// The report of the days `from` to `to` (both included, UTC) on the desks the caller sees.
pub async fn desk(
    ctx: &Context,
    who: &Caller,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Report, ReportError> {
    if from > to {
        return Err(ReportError::Backwards);
    }
    let desks = who.desks();
    let start = from.and_time(chrono::NaiveTime::MIN);
    // The day after `to`, at midnight: `to` is counted whole.
    let end = to
        .succ_opt()
        .unwrap_or(NaiveDate::MAX)
        .and_time(chrono::NaiveTime::MIN);
    let asked = desks.clone();
    // Whole periods are scanned: on the heavy reads' lane, bounded, off the main pool.
    let figures = ctx
        .heavy_reads
        .run(move |conn| {
            let now = db::duties::clock(conn)?;
            store::figures(
                conn,
                &Period {
                    from: start,
                    to: end,
                    desks: asked,
                    now,
                },
            )
        })
        .await?;
    Ok(Report {
        from,
        to,
        desks,
        figures,
    })
}
