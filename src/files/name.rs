//! The name a file is stored and downloaded under, made from the name as sent: no path, no
//! control or bidirectional characters (which can make `exe.pdf` show as `fdp.exe`), bounded,
//! and with an extension that agrees with the content.

use super::Kind;

/// The longest stored name, in characters, extension included.
pub const MAX_NAME_CHARS: usize = 120;

/// The name used when nothing of the sent one is left.
const FALLBACK_STEM: &str = "attachment";

/// An extension longer than this is taken as part of the name, not as an extension.
const MAX_EXTENSION_CHARS: usize = 10;

/// The stored name for a file sent as `sent` whose bytes are `kind` (`None`: not a known type,
/// so the extension is kept as sent).
pub fn stored_name(sent: &str, kind: Option<Kind>) -> String {
    // The last component of a path, whichever separator the sender's system uses.
    let base = sent.rsplit(['/', '\\']).next().unwrap_or_default();
    let visible: String = base
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .collect();
    // Leading dots would hide the file or make `..`; trailing dots and spaces vanish on Windows.
    let visible = visible.trim_matches(|c: char| c == '.' || c.is_whitespace());
    let (stem, sent_extension) = split_extension(visible);
    let extension = match kind {
        Some(kind) => {
            let agrees = sent_extension.is_some_and(|ext| {
                kind.extensions()
                    .iter()
                    .any(|known| known.eq_ignore_ascii_case(ext))
            });
            if agrees {
                sent_extension.map(str::to_lowercase)
            } else {
                Some(kind.extension().to_string())
            }
        }
        None => sent_extension.map(str::to_string),
    };
    let stem = stem.trim_end_matches(['.', ' ']).trim();
    let stem = if stem.is_empty() { FALLBACK_STEM } else { stem };
    match extension {
        Some(extension) => {
            let room = MAX_NAME_CHARS - extension.chars().count() - 1;
            format!("{}.{extension}", truncate(stem, room))
        }
        None => truncate(stem, MAX_NAME_CHARS).to_string(),
    }
}

/// The name and its extension, when the part after the last dot looks like one.
fn split_extension(name: &str) -> (&str, Option<&str>) {
    match name.rsplit_once('.') {
        Some((stem, ext))
            if !ext.is_empty()
                && ext.chars().count() <= MAX_EXTENSION_CHARS
                && ext.chars().all(char::is_alphanumeric) =>
        {
            (stem, Some(ext))
        }
        _ => (name, None),
    }
}

/// At most `chars` characters of `text`, cut on a character boundary, trailing spaces and dots
/// removed so the cut cannot end in `. .` before the extension.
fn truncate(text: &str, chars: usize) -> &str {
    let end = text
        .char_indices()
        .nth(chars)
        .map_or(text.len(), |(at, _)| at);
    text[..end].trim_end_matches(['.', ' '])
}

/// Unicode's bidirectional formatting characters (ALM, LRM, RLM, embeddings, overrides and
/// isolates).
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}
