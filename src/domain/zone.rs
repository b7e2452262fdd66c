//! The newsroom's time zone (`site.timezone`): times are stored in UTC and shown in it, in the
//! console and in e-mails, with the zone's abbreviation ("CET", "CEST") so no reader has to guess.

use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;

/// An IANA time zone, such as `Europe/Paris`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(Tz);

/// The zone of the newsroom Courrier was first built for.
pub const DEFAULT_ZONE: &str = "Europe/Paris";

impl Default for Zone {
    fn default() -> Self {
        Zone(Tz::Europe__Paris)
    }
}

impl Zone {
    /// A zone by its IANA name (`Europe/Paris`, `UTC`); `None` for a name the database lacks.
    pub fn parse(name: &str) -> Option<Zone> {
        name.parse::<Tz>().ok().map(Zone)
    }

    /// Its IANA name.
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// A UTC time as the zone's wall clock, in `format` (chrono's; `%Z` is the abbreviation).
    pub fn show(self, utc: NaiveDateTime, format: &str) -> String {
        self.0.from_utc_datetime(&utc).format(format).to_string()
    }
}

impl<'de> serde::Deserialize<'de> for Zone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Zone::parse(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{name}` is not an IANA time zone such as {DEFAULT_ZONE} or UTC"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn utc(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, 0, 0))
            .unwrap_or_default()
    }

    #[test]
    fn paris_is_one_hour_ahead_in_winter_and_two_in_summer() {
        let paris = Zone::default();
        assert_eq!(paris.name(), "Europe/Paris");
        assert_eq!(paris.show(utc(2026, 12, 7, 14), "%H:%M %Z"), "15:00 CET");
        assert_eq!(paris.show(utc(2026, 7, 7, 14), "%H:%M %Z"), "16:00 CEST");
    }

    #[test]
    fn the_day_follows_the_zone() {
        let paris = Zone::default();
        assert_eq!(paris.show(utc(2026, 12, 31, 23), "%Y-%m-%d"), "2027-01-01");
        let utc_zone = Zone::parse("UTC").unwrap_or_default();
        assert_eq!(
            utc_zone.show(utc(2026, 12, 31, 23), "%Y-%m-%d %Z"),
            "2026-12-31 UTC"
        );
    }

    #[test]
    fn unknown_names_are_refused() {
        assert_eq!(Zone::parse("Europe/Lutece"), None);
        assert_eq!(Zone::parse(""), None);
        let err = serde_json::from_str::<Zone>("\"Mars/Olympus\"")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("not an IANA time zone"), "{err}");
    }
}
