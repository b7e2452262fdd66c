//! Durations as staff read them: "3 h", "2 j 4 h", in the page's language.

use chrono::{Duration, NaiveDateTime};

use crate::domain::{Locale, Zone};

/// A duration, rounded down to its two largest units.
pub fn span(d: Duration, locale: Locale) -> String {
    let day = if locale == Locale::Fr { "j" } else { "d" };
    let minutes = d.num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, (minutes % 1440) / 60, minutes % 60);
    match (days, hours) {
        (0, 0) => format!("{mins} min"),
        (0, h) => format!("{h} h {mins:02}"),
        (d, 0) => format!("{d} {day}"),
        (d, h) => format!("{d} {day} {h} h"),
    }
}

/// How long ago, from `now`.
pub fn age(at: NaiveDateTime, now: NaiveDateTime, locale: Locale) -> String {
    span(now - at, locale)
}

/// A stored (UTC) time in the newsroom's zone (`site.timezone`), with its abbreviation:
/// "2026-12-07 15:03 CET".
pub fn stamp(at: NaiveDateTime, zone: Zone) -> String {
    zone.show(at, "%Y-%m-%d %H:%M %Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_in_two_units() {
        assert_eq!(span(Duration::minutes(5), Locale::En), "5 min");
        assert_eq!(span(Duration::minutes(125), Locale::Fr), "2 h 05");
        assert_eq!(span(Duration::hours(50), Locale::Fr), "2 j 2 h");
        assert_eq!(span(Duration::hours(48), Locale::En), "2 d");
    }

    #[test]
    fn stamps_are_in_the_newsrooms_zone() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 7)
            .and_then(|d| d.and_hms_opt(14, 3, 0))
            .unwrap_or_default();
        assert_eq!(stamp(at, Zone::default()), "2026-12-07 15:03 CET");
        let utc = Zone::parse("UTC").unwrap_or_default();
        assert_eq!(stamp(at, utc), "2026-12-07 14:03 UTC");
    }
}
