//! Durations as staff read them: "3 h", "2 j 4 h", in the page's language.

use chrono::{Duration, NaiveDateTime};

use crate::domain::Locale;

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

/// A time as UTC text.
pub fn stamp(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
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
}
