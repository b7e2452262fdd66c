//! The newsroom's numbers for a period (`GET /v1/reports/desk`): what came in, how fast it was
//! answered, what became of the rights of reply, corrections and spam. Admins see every desk;
//! other staff see their own desk's queues only. Reports run on the heavy reads' lane: a few at
//! once, on connections of their own, so they never starve the intake.

use chrono::NaiveDate;

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

/// Everything the report shows.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    /// Submissions received, spam left out, by queue, topic and channel together.
    pub received: Vec<Received>,
    pub first_response: FirstResponse,
    pub right_of_reply: RightOfReply,
    pub activity: Activity,
}

/// Submissions received of one queue, topic and channel.
#[derive(Debug, Clone)]
pub struct Received {
    pub queue: String,
    pub topic: String,
    pub channel: String,
    pub n: i64,
}

/// First-response times, in seconds, of the submissions received that had one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FirstResponse {
    pub responded: i64,
    pub median: Option<f64>,
    pub p90: Option<f64>,
}

/// The rights of reply received, and what became of them: `open` is not resolved yet,
/// `breaches` resolved after their deadline or still open past it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RightOfReply {
    pub received: i64,
    pub inserted: i64,
    pub refused: i64,
    pub open: i64,
    pub breaches: i64,
}

/// What the period saw besides submissions: corrections published, submissions put in
/// quarantine (at intake or by staff), and released from it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Activity {
    pub corrections: i64,
    pub quarantined: i64,
    pub released: i64,
}

impl From<store::Figures> for Figures {
    fn from(f: store::Figures) -> Self {
        let (fr, rr, a) = (f.first_response, f.right_of_reply, f.activity);
        Figures {
            received: f
                .received
                .into_iter()
                .map(|r| Received {
                    queue: r.queue,
                    topic: r.topic,
                    channel: r.channel,
                    n: r.n,
                })
                .collect(),
            first_response: FirstResponse {
                responded: fr.responded,
                median: fr.median,
                p90: fr.p90,
            },
            right_of_reply: RightOfReply {
                received: rr.received,
                inserted: rr.inserted,
                refused: rr.refused,
                open: rr.open,
                breaches: rr.breaches,
            },
            activity: Activity {
                corrections: a.corrections,
                quarantined: a.quarantined,
                released: a.released,
            },
        }
    }
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
        figures: figures.into(),
    })
}
