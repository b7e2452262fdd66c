//! What a file says about its source: the values read from the original, each bounded and
//! stripped of control characters so that they can be stored and shown as they are.

/// Each field is `None` when the file did not say it. Dates are ISO 8601 when they could be
/// understood, otherwise the text as found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Revealed {
    pub author: Option<String>,
    pub organisation: Option<String>,
    /// The camera or phone: make and model.
    pub device: Option<String>,
    /// Latitude and longitude in degrees, south and west negative.
    pub gps: Option<(f64, f64)>,
    pub software: Option<String>,
    pub created_at: Option<String>,
    pub modified_at: Option<String>,
}

/// The longest value kept: enough for any real author or program name, and a hostile file
/// cannot make the metadata larger than this per field.
const MAX_VALUE_CHARS: usize = 200;

impl Revealed {
    /// Whether the file said nothing at all.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The value as it may be stored: control and bidirectional-control characters dropped,
/// whitespace trimmed, at most [`MAX_VALUE_CHARS`]; `None` when nothing is left.
pub(crate) fn value(raw: &str) -> Option<String> {
    let kept: String = raw
        .chars()
        .filter(|c| !c.is_control() && !crate::files::name::is_bidi_control(*c))
        .collect();
    let kept: String = kept.trim().chars().take(MAX_VALUE_CHARS).collect();
    let kept = kept.trim_end().to_string();
    (!kept.is_empty()).then_some(kept)
}

/// The first of two values that is present, the other as a fallback.
pub(crate) fn either(first: Option<String>, second: Option<String>) -> Option<String> {
    first.or(second)
}

/// A date in one of the given `chrono` formats, written as ISO 8601; the text as found when no
/// format fits.
pub(crate) fn date(raw: &str, formats: &[&str]) -> Option<String> {
    let text = value(raw)?;
    for format in formats {
        if let Ok(at) = chrono::DateTime::parse_from_str(&text, format) {
            return Some(at.to_rfc3339());
        }
        if let Ok(at) = chrono::NaiveDateTime::parse_from_str(&text, format) {
            return Some(at.format("%Y-%m-%dT%H:%M:%S").to_string());
        }
    }
    Some(text)
}
