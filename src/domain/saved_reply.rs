//! A saved reply's variables: which exist, how a text naming an unknown one is refused, and how
//! they are filled in for one submission. A variable is `{name}`, the name made of ASCII letters,
//! digits and `_`; any other brace is plain text. Filling is one pass over the saved text: what
//! a value holds (a reader's name with braces in it, say) is never read for variables, and a
//! staff reply's own text is never filled at all.

use super::{FieldError, Msg};

/// The variables a saved reply may name.
pub const VARIABLES: [&str; 6] = [
    "reference",
    "reader_name",
    "article_title",
    "article_url",
    "deadline",
    "staff_name",
];

/// What the variables stand for, for one submission and one staff member. A value the
/// submission does not have (no article, no deadline) is an empty string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filling {
    pub reference: String,
    pub reader_name: String,
    pub article_title: String,
    pub article_url: String,
    /// The right of reply's deadline, written for the reader's language.
    pub deadline: String,
    pub staff_name: String,
}

impl Filling {
    fn value(&self, name: &str) -> Option<&str> {
        Some(match name {
            "reference" => &self.reference,
            "reader_name" => &self.reader_name,
            "article_title" => &self.article_title,
            "article_url" => &self.article_url,
            "deadline" => &self.deadline,
            "staff_name" => &self.staff_name,
            _ => return None,
        })
    }
}

/// One piece of a saved text: as written, or a variable's name.
enum Piece<'a> {
    Text(&'a str),
    Variable(&'a str),
}

/// The text cut at its variables.
fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        if name_len > 0 && after[name_len..].starts_with('}') {
            out.push(Piece::Text(&rest[..open]));
            out.push(Piece::Variable(&after[..name_len]));
            rest = &after[name_len + 1..];
        } else {
            // A brace that opens no variable is text; look again after it.
            out.push(Piece::Text(&rest[..=open]));
            rest = after;
        }
    }
    out.push(Piece::Text(rest));
    out
}

/// The names a text uses that are no variable, each once, in order of appearance.
pub fn unknown_variables(text: &str) -> Vec<&str> {
    let mut unknown: Vec<&str> = Vec::new();
    for piece in pieces(text) {
        if let Piece::Variable(name) = piece {
            if !VARIABLES.contains(&name) && !unknown.contains(&name) {
                unknown.push(name);
            }
        }
    }
    unknown
}

/// One `unknown_variable` error for each unknown name the text uses.
pub fn check_variables(text: &str) -> Vec<FieldError> {
    unknown_variables(text)
        .iter()
        .map(|_| FieldError::new(Msg::UnknownVariable))
        .collect()
}

/// The saved text with its variables filled in. A name that is no variable (a text saved before
/// the check, say) is left as written.
pub fn fill(text: &str, with: &Filling) -> String {
    let mut out = String::with_capacity(text.len());
    for piece in pieces(text) {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Variable(name) => match with.value(name) {
                Some(v) => out.push_str(v),
                None => {
                    out.push('{');
                    out.push_str(name);
                    out.push('}');
                }
            },
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filling() -> Filling {
        Filling {
            reference: "R-7KQ2".into(),
            reader_name: "Zoé {deadline} Martin".into(),
            article_title: "Le port".into(),
            article_url: "https://journal.example/port".into(),
            deadline: String::new(),
            staff_name: "Alice".into(),
        }
    }

    #[test]
    fn every_variable_is_filled_and_values_are_not_read_again() {
        let text =
            "{reader_name}|{reference}|{article_title}|{article_url}|{deadline}|{staff_name}";
        assert_eq!(
            fill(text, &filling()),
            "Zoé {deadline} Martin|R-7KQ2|Le port|https://journal.example/port||Alice"
        );
    }

    #[test]
    fn braces_that_name_no_variable_are_text() {
        let text = "a { b } {} {{reference}} {x-y} {";
        assert!(unknown_variables(text).is_empty());
        assert_eq!(fill(text, &filling()), "a { b } {} {R-7KQ2} {x-y} {");
    }

    #[test]
    fn unknown_names_are_found_once_each_and_left_as_written() {
        let text = "{reference} {signature} {Reference} {signature}";
        assert_eq!(unknown_variables(text), vec!["signature", "Reference"]);
        assert_eq!(check_variables(text).len(), 2);
        assert_eq!(check_variables(text)[0].code, "unknown_variable");
        assert_eq!(
            fill(text, &filling()),
            "R-7KQ2 {signature} {Reference} {signature}"
        );
        assert!(check_variables("Bonjour {reader_name},").is_empty());
    }
}
