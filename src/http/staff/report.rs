//! `GET /v1/reports/desk`: the newsroom's numbers for a period, as JSON or (with
//! `Accept: text/csv`) as a CSV download.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::desk::report::{self, Report, ReportError};
use crate::desk::Caller;
use crate::domain::{Desk, FieldError, FieldErrors, Msg};
use crate::http::openapi::{ErrorBody, SignedIn};
use crate::http::state::AppState;
use crate::http::ApiError;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The first day counted (`YYYY-MM-DD`, UTC).
    #[param(value_type = String, format = Date, required = true)]
    from: Option<String>,
    /// The last day counted, included (`YYYY-MM-DD`, UTC); not before `from`.
    #[param(value_type = String, format = Date, required = true)]
    to: Option<String>,
}

/// Submissions received in the period, spam left out.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionCounts {
    pub total: i64,
    /// By queue name.
    pub by_queue: BTreeMap<String, i64>,
    /// By topic.
    pub by_topic: BTreeMap<String, i64>,
    /// By channel (`web`, `email`).
    pub by_channel: BTreeMap<String, i64>,
}

/// Time from receipt to the first reply, for the submissions received in the period that had
/// one: median and 90th percentile (interpolated, as PostgreSQL's `percentile_cont`), in
/// seconds; null when none had a reply.
#[derive(Debug, Serialize, ToSchema)]
pub struct FirstResponseTimes {
    pub responded: i64,
    pub median_seconds: Option<f64>,
    pub p90_seconds: Option<f64>,
}

/// The rights of reply received in the period, and what became of them.
#[derive(Debug, Serialize, ToSchema)]
pub struct RightOfReplyCounts {
    pub received: i64,
    pub inserted: i64,
    pub refused: i64,
    /// Not resolved yet.
    pub open: i64,
    /// Resolved after their deadline, or still open past it.
    pub breaches: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CorrectionCounts {
    /// Correction requests closed with a correction in the period.
    pub published: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SpamCounts {
    /// Put in quarantine in the period: held at intake, or moved to spam by staff.
    pub quarantined: i64,
    /// Released from quarantine in the period.
    pub released: i64,
}

/// The desk's report. Purged submissions still count (through their tombstones).
#[derive(Debug, Serialize, ToSchema)]
pub struct DeskReport {
    /// The first day counted.
    #[schema(value_type = String, format = Date)]
    pub from: String,
    /// The last day counted, included.
    #[schema(value_type = String, format = Date)]
    pub to: String,
    /// The desks counted: both for an admin, the caller's own for others.
    pub desks: Vec<Desk>,
    pub submissions: SubmissionCounts,
    pub first_response: FirstResponseTimes,
    pub right_of_reply: RightOfReplyCounts,
    pub corrections: CorrectionCounts,
    pub spam: SpamCounts,
}

/// Seconds to the millisecond, the same on both backends.
fn seconds(s: Option<f64>) -> Option<f64> {
    s.map(|s| (s * 1000.0).round() / 1000.0)
}

impl From<&Report> for DeskReport {
    fn from(r: &Report) -> Self {
        let f = &r.figures;
        let mut by_queue = BTreeMap::new();
        let mut by_topic = BTreeMap::new();
        let mut by_channel = BTreeMap::new();
        let mut total = 0;
        for row in &f.received {
            *by_queue.entry(row.queue.clone()).or_insert(0) += row.n;
            *by_topic.entry(row.topic.clone()).or_insert(0) += row.n;
            *by_channel.entry(row.channel.clone()).or_insert(0) += row.n;
            total += row.n;
        }
        DeskReport {
            from: r.from.to_string(),
            to: r.to.to_string(),
            desks: r.desks.clone(),
            submissions: SubmissionCounts {
                total,
                by_queue,
                by_topic,
                by_channel,
            },
            first_response: FirstResponseTimes {
                responded: f.first_response.responded,
                median_seconds: seconds(f.first_response.median),
                p90_seconds: seconds(f.first_response.p90),
            },
            right_of_reply: RightOfReplyCounts {
                received: f.right_of_reply.received,
                inserted: f.right_of_reply.inserted,
                refused: f.right_of_reply.refused,
                open: f.right_of_reply.open,
                breaches: f.right_of_reply.breaches,
            },
            corrections: CorrectionCounts {
                published: f.activity.corrections,
            },
            spam: SpamCounts {
                quarantined: f.activity.quarantined,
                released: f.activity.released,
            },
        }
    }
}

impl DeskReport {
    /// One line per figure: `section,key,value`.
    fn csv(&self) -> String {
        fn field(text: &str) -> String {
            if text.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", text.replace('"', "\"\""))
            } else {
                text.to_owned()
            }
        }
        let mut lines = vec![
            ("period", "from".to_owned(), self.from.clone()),
            ("period", "to".to_owned(), self.to.clone()),
        ];
        for d in &self.desks {
            lines.push(("desk", d.as_str().to_owned(), "included".to_owned()));
        }
        let s = &self.submissions;
        lines.push(("submissions", "total".into(), s.total.to_string()));
        for (section, map) in [
            ("queue", &s.by_queue),
            ("topic", &s.by_topic),
            ("channel", &s.by_channel),
        ] {
            for (k, n) in map {
                lines.push((section, k.clone(), n.to_string()));
            }
        }
        let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        let fr = &self.first_response;
        lines.push((
            "first_response",
            "responded".into(),
            fr.responded.to_string(),
        ));
        lines.push((
            "first_response",
            "median_seconds".into(),
            opt(fr.median_seconds),
        ));
        lines.push(("first_response", "p90_seconds".into(), opt(fr.p90_seconds)));
        let r = &self.right_of_reply;
        for (k, n) in [
            ("received", r.received),
            ("inserted", r.inserted),
            ("refused", r.refused),
            ("open", r.open),
            ("breaches", r.breaches),
        ] {
            lines.push(("right_of_reply", k.into(), n.to_string()));
        }
        lines.push((
            "corrections",
            "published".into(),
            self.corrections.published.to_string(),
        ));
        lines.push((
            "spam",
            "quarantined".into(),
            self.spam.quarantined.to_string(),
        ));
        lines.push(("spam", "released".into(), self.spam.released.to_string()));
        let mut out = String::from("section,key,value\r\n");
        for (section, key, value) in lines {
            out.push_str(&format!("{section},{},{}\r\n", field(&key), field(&value)));
        }
        out
    }
}

/// The two days of the query, each problem named by its parameter (400 with `fields`).
fn days(q: &ReportQuery) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let mut problems = FieldErrors::new();
    let mut day = |name: &'static str, raw: Option<&str>| {
        let raw = raw.filter(|r| !r.is_empty());
        let Some(raw) = raw else {
            problems.insert(name, vec![FieldError::new(Msg::Required)]);
            return None;
        };
        let parsed = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .ok()
            .filter(|_| raw.len() == 10);
        if parsed.is_none() {
            problems.insert(name, vec![FieldError::new(Msg::InvalidDate)]);
        }
        parsed
    };
    let from = day("from", q.from.as_deref());
    let to = day("to", q.to.as_deref());
    match (from, to) {
        (Some(from), Some(to)) if from <= to => Ok((from, to)),
        (Some(_), Some(_)) => {
            problems.insert("from", vec![FieldError::new(Msg::PeriodBackwards)]);
            Err(ApiError::BadParameters(problems))
        }
        _ => Err(ApiError::BadParameters(problems)),
    }
}

/// Whether the client asks for CSV rather than JSON.
fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|m| {
            m.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/csv"))
        })
}

/// The newsroom's numbers for a period: submissions by queue, topic and channel; first-response
/// times; rights of reply and their breaches; corrections; spam. An admin sees every desk,
/// other staff their own desk's queues. JSON, or CSV with `Accept: text/csv`.
#[utoipa::path(get, path = "/v1/reports/desk", tag = "reports", operation_id = "desk_report", security(("bearer" = [])),
    params(ReportQuery),
    responses(
        (status = 200, description = "The report",
            content((DeskReport = "application/json"), (String = "text/csv"))),
        (status = 400, description = "`from` or `to` missing (`required`) or not a date YYYY-MM-DD (`invalid_date`), or `from` after `to` (`period_backwards`): each named in `fields`", body = ErrorBody),
        SignedIn,
    ))]
pub async fn desk(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Caller,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let (from, to) = days(&query)?;
    let report = report::desk(&state, &who, from, to)
        .await
        .map_err(|e| match e {
            ReportError::Backwards => ApiError::BadParameters(
                [("from", vec![FieldError::new(Msg::PeriodBackwards)])]
                    .into_iter()
                    .collect(),
            ),
            ReportError::Db(e) => e.into(),
        })?;
    let body = DeskReport::from(&report);
    if wants_csv(&req) {
        let name = format!(
            "attachment; filename=\"desk-report-{}-{}.csv\"",
            body.from, body.to
        );
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((header::CONTENT_DISPOSITION, name))
            .body(body.csv()));
    }
    Ok(HttpResponse::Ok().json(body))
}
