//! Settings of retention: how long a submission is kept once it has reached a status, per desk
//! and overridable per queue; how long a dead e-mail keeps its bodies and unmatched inbound mail
//! is kept; and whether this instance runs the daily purge. Checked in `check.rs`.

use std::collections::BTreeMap;

use chrono::{Months, NaiveDateTime};
use serde::Deserialize;

use super::Settings;
use crate::domain::{Desk, Status};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Run the daily purge in this instance; any number may (one purges at a time, once a day).
    pub run_purge: bool,
    /// How often the purge runs, in hours (24: daily).
    pub purge_every_hours: u32,
    /// How long an e-mail that gave up (`dead`) keeps its bodies.
    pub dead_mail_bodies: String,
    /// How long inbound mail that matched no submission is kept.
    pub unmatched_inbound: String,
    pub editorial: StatusPeriods,
    pub commercial: StatusPeriods,
    /// Per queue: what it sets wins over its desk's, status by status.
    #[serde(default)]
    pub queues: BTreeMap<String, StatusPeriods>,
}

/// How long a submission is kept after reaching each status (`"30 days"`, `"24 months"`,
/// `"2 years"` or `"forever"`); a status not set is kept forever (or, for a queue, as its desk
/// says).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusPeriods {
    pub new: Option<String>,
    pub open: Option<String>,
    pub waiting: Option<String>,
    pub resolved: Option<String>,
    pub spam: Option<String>,
}

impl StatusPeriods {
    pub fn get(&self, status: Status) -> Option<&str> {
        match status {
            Status::New => self.new.as_deref(),
            Status::Open => self.open.as_deref(),
            Status::Waiting => self.waiting.as_deref(),
            Status::Resolved => self.resolved.as_deref(),
            Status::Spam => self.spam.as_deref(),
        }
    }
}

/// How long something is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    Forever,
    Days(u32),
    Months(u32),
}

impl Keep {
    /// `"30 days"`, `"24 months"`, `"3 years"` (a day, month or year in the singular too), or
    /// `"forever"`.
    pub fn parse(text: &str) -> Result<Keep, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("forever") {
            return Ok(Keep::Forever);
        }
        let bad =
            || format!("`{text}`: a number of days, months or years (\"90 days\"), or \"forever\"");
        let (number, unit) = text.split_once(char::is_whitespace).ok_or_else(bad)?;
        let n: u32 = number.parse().map_err(|_| bad())?;
        if n == 0 {
            return Err(format!("`{text}`: at least 1"));
        }
        match unit.trim().to_ascii_lowercase().as_str() {
            "day" | "days" => Ok(Keep::Days(n)),
            "month" | "months" => Ok(Keep::Months(n)),
            "year" | "years" => n.checked_mul(12).map(Keep::Months).ok_or_else(bad),
            _ => Err(bad()),
        }
    }

    /// The moment before which what reached its status at that moment is due, at `now`; `None`
    /// for what is kept forever.
    pub fn cutoff(self, now: NaiveDateTime) -> Option<NaiveDateTime> {
        match self {
            Keep::Forever => None,
            Keep::Days(n) => now.checked_sub_signed(chrono::Duration::days(i64::from(n))),
            Keep::Months(n) => now.checked_sub_months(Months::new(n)),
        }
    }
}

impl std::fmt::Display for Keep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Keep::Forever => f.write_str("forever"),
            Keep::Days(1) => f.write_str("1 day"),
            Keep::Days(n) => write!(f, "{n} days"),
            Keep::Months(1) => f.write_str("1 month"),
            Keep::Months(n) => write!(f, "{n} months"),
        }
    }
}

impl RetentionSettings {
    /// A desk's periods.
    pub fn desk(&self, desk: Desk) -> &StatusPeriods {
        match desk {
            Desk::Editorial => &self.editorial,
            Desk::Commercial => &self.commercial,
        }
    }

    /// What the settings say for a status on a desk, and on each queue that says otherwise.
    /// Values were checked at start-up; one that does not parse keeps forever.
    pub fn rule(&self, desk: Desk, status: Status) -> (Keep, Vec<(String, Keep)>) {
        let parse =
            |t: Option<&str>| t.map_or(Keep::Forever, |t| Keep::parse(t).unwrap_or(Keep::Forever));
        let of_desk = parse(self.desk(desk).get(status));
        let queues = self
            .queues
            .iter()
            .filter_map(|(name, periods)| {
                periods.get(status).map(|t| (name.clone(), parse(Some(t))))
            })
            .collect();
        (of_desk, queues)
    }

    pub fn dead_mail_bodies(&self) -> Keep {
        Keep::parse(&self.dead_mail_bodies).unwrap_or(Keep::Forever)
    }

    pub fn unmatched_inbound(&self) -> Keep {
        Keep::parse(&self.unmatched_inbound).unwrap_or(Keep::Forever)
    }
}

/// Retention: every period reads, the purge has an interval, and a queue that says otherwise
/// than its desk is a configured queue.
pub(super) fn check(settings: &Settings, problems: &mut Vec<String>) {
    let r = &settings.retention;
    if r.purge_every_hours == 0 {
        problems.push("retention.purge_every_hours: at least 1".into());
    }
    let mut period = |key: String, text: &str| {
        if let Err(e) = Keep::parse(text) {
            problems.push(format!("{key}: {e}"));
        }
    };
    period("retention.dead_mail_bodies".into(), &r.dead_mail_bodies);
    period("retention.unmatched_inbound".into(), &r.unmatched_inbound);
    let mut sections: Vec<(String, &StatusPeriods)> = vec![
        ("retention.editorial".into(), &r.editorial),
        ("retention.commercial".into(), &r.commercial),
    ];
    sections.extend(
        r.queues
            .iter()
            .map(|(name, p)| (format!("retention.queues.{name}"), p)),
    );
    for (section, periods) in &sections {
        for status in Status::ALL.iter().copied() {
            if let Some(text) = periods.get(status) {
                period(format!("{section}.{}", status.as_str()), text);
            }
        }
    }
    for name in r.queues.keys() {
        if !settings.queues.contains_key(name) {
            problems.push(format!(
                "retention.queues.{name}: no such queue (see [queues])"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Keep;

    #[test]
    fn periods_read_as_the_issue_writes_them() {
        assert_eq!(Keep::parse("24 months"), Ok(Keep::Months(24)));
        assert_eq!(Keep::parse("30 days"), Ok(Keep::Days(30)));
        assert_eq!(Keep::parse("1 day"), Ok(Keep::Days(1)));
        assert_eq!(Keep::parse("3 years"), Ok(Keep::Months(36)));
        assert_eq!(Keep::parse("forever"), Ok(Keep::Forever));
        assert!(Keep::parse("0 days").is_err());
        assert!(Keep::parse("24").is_err());
        assert!(Keep::parse("24 moths").is_err());
        assert!(Keep::parse("-3 days").is_err());
    }

    #[test]
    fn months_are_calendar_months() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 3, 31)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .unwrap();
        let cut = Keep::Months(1).cutoff(now).unwrap();
        assert_eq!(cut.to_string(), "2026-02-28 12:00:00");
        assert_eq!(Keep::Forever.cutoff(now), None);
    }
}
