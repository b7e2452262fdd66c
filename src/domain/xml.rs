//! What XML 1.0 can carry: the texts Courrier publishes in XML (the corrections' Atom feed) are
//! refused at the door when they hold a character XML has no place for, and the feed replaces
//! any that reached the database before that check existed.

use std::borrow::Cow;

use super::{FieldError, Msg};

/// XML 1.0's `Char` production: tab, line feed, carriage return, and everything from U+0020 on
/// but the surrogates (which a `char` never is) and U+FFFE, U+FFFF.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

/// Refuses a text XML 1.0 cannot carry (`invalid_character`).
pub fn check(text: &str) -> Result<(), FieldError> {
    if text.chars().all(is_xml_char) {
        Ok(())
    } else {
        Err(FieldError::new(Msg::InvalidCharacter))
    }
}

/// The text with each character XML 1.0 cannot carry replaced by U+FFFD, for writing XML.
/// Markup (`<`, `&`, quotes) is the template's to escape.
pub fn carried(text: &str) -> Cow<'_, str> {
    if text.chars().all(is_xml_char) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(
            text.chars()
                .map(|c| if is_xml_char(c) { c } else { '\u{FFFD}' })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_xml_allows_passes() {
        for ok in [
            '\t',
            '\n',
            '\r',
            ' ',
            'é',
            '\u{D7FF}',
            '\u{E000}',
            '\u{FFFD}',
            '\u{10000}',
        ] {
            assert!(is_xml_char(ok), "{ok:?}");
        }
        for bad in [
            '\0', '\u{1}', '\u{8}', '\u{B}', '\u{1F}', '\u{FFFE}', '\u{FFFF}',
        ] {
            assert!(!is_xml_char(bad), "{bad:?}");
        }
        assert_eq!(check("a\u{FFFF}").unwrap_err().code, "invalid_character");
        assert!(check("Le score était 2 <b>à</b> 1 & non 3-1.").is_ok());
        assert_eq!(carried("a\u{FFFE}b\u{1}c"), "a\u{FFFD}b\u{FFFD}c");
        assert!(matches!(carried("plain"), Cow::Borrowed("plain")));
    }
}
