//! Decoding and checking a public form body must never panic, and whatever it accepts must hold
//! the guarantees the field types promise (src/domain/fields.rs, src/domain/submission.rs).
//!
//! Input: the first byte picks the form (bit 0), the encoding (bit 1) and the fallback locale
//! (bit 2); the rest is the body.

#![no_main]

use courrier::domain::{FormKind, Locale, NewSubmission, Topic};
use courrier::http::public::{parse_submission, Encoding};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let form = if selector & 1 == 0 {
        FormKind::Newsroom
    } else {
        FormKind::Sales
    };
    let encoding = if selector & 2 == 0 {
        Encoding::Json
    } else {
        Encoding::Form
    };
    let fallback = if selector & 4 == 0 {
        Locale::Fr
    } else {
        Locale::En
    };

    let first = parse_submission(form, body, encoding, fallback);
    // A pure function: the same body gives the same answer.
    let again = parse_submission(form, body, encoding, fallback);
    assert_eq!(
        format!("{first:?}"),
        format!("{again:?}"),
        "not deterministic"
    );

    if show() {
        eprintln!("{form:?} {encoding:?} {fallback:?}: {first:?}");
    }
    match first {
        Ok(sub) => check_submission(form, &sub),
        Err((err, locale)) => {
            // The answer the reader gets must render too, as JSON and as an HTML page.
            let back =
                (encoding == Encoding::Form).then_some("https://journal.example/a?b=1&c=<d>");
            let _ = err.respond(locale, back);
            let _ = err.respond(locale, None);
        }
    }
});

/// `FUZZ_SHOW=1` prints each input's outcome (to look at a few inputs, not to fuzz).
fn show() -> bool {
    static SHOW: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SHOW.get_or_init(|| std::env::var_os("FUZZ_SHOW").is_some())
}

/// Control characters and the Unicode line and paragraph separators: never in a one-line field.
fn forbidden_in_line(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

fn check_one_line(field: &str, s: &str, max_chars: usize) {
    assert!(!s.is_empty(), "{field}: empty");
    assert!(
        !s.chars().any(forbidden_in_line),
        "{field}: line break or control character in {s:?}"
    );
    assert!(
        !s.starts_with([' ', '\u{a0}']) && !s.ends_with([' ', '\u{a0}']),
        "{field}: not trimmed: {s:?}"
    );
    assert!(s.chars().count() <= max_chars, "{field}: too long");
}

fn check_submission(form: FormKind, sub: &NewSubmission) {
    assert_eq!(sub.form, form);
    assert!(
        Topic::for_form(form).contains(&sub.topic),
        "{:?} is not a topic of {form:?}",
        sub.topic
    );

    check_one_line("name", sub.name.as_str(), 200);
    if let Some(s) = &sub.subject {
        check_one_line("subject", s.as_str(), 200);
    }
    if let Some(o) = &sub.organisation {
        check_one_line("organisation", o.as_str(), 200);
    }
    if let Some(t) = &sub.article_title {
        check_one_line("article_title", t.as_str(), 300);
    }

    // The address: one token, local@domain with a dotted lower-case domain, that lettre takes.
    let email = sub.email.as_str();
    assert!(!email.is_empty() && email.len() <= 254, "email length");
    assert!(
        !email.chars().any(|c| c.is_control() || c.is_whitespace()),
        "email: control or space in {email:?}"
    );
    let (_, domain) = email.rsplit_once('@').expect("email without @");
    assert!(domain.contains('.'), "email: undotted domain {email:?}");
    assert_eq!(
        domain,
        domain.to_lowercase(),
        "email: domain not lower-cased"
    );
    let addr: lettre::Address = email.parse().expect("email that lettre refuses");
    assert_eq!(
        AsRef::<str>::as_ref(&addr),
        email,
        "lettre reads the address differently"
    );

    // The message: kept as sent, but no NUL nor C0 control other than tab and line breaks.
    let message = sub.message.as_str();
    assert!(!message.trim().is_empty(), "message blank");
    assert!(
        !message
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')),
        "message: control character"
    );
    assert!(message.chars().count() <= 10_000, "message too long");

    if let Some(p) = &sub.phone {
        let p = p.as_str();
        assert!(p.chars().count() <= 40, "phone too long");
        assert!(
            p.chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c)),
            "phone: {p:?}"
        );
        let digits = p.chars().filter(char::is_ascii_digit).count();
        assert!((4..=20).contains(&digits), "phone digits: {p:?}");
    }

    if let Some(u) = &sub.article_url {
        let u = u.as_str();
        assert!(u.chars().count() <= 2_000, "url too long");
        assert!(!u.chars().any(forbidden_in_line), "url: control in {u:?}");
        let parsed = url::Url::parse(u).expect("article_url that does not parse");
        assert!(matches!(parsed.scheme(), "http" | "https"), "url scheme");
        assert!(parsed.host().is_some(), "url without host");
    }

    match form {
        FormKind::Newsroom => {
            assert!(sub.organisation.is_none(), "newsroom with organisation");
            assert!(!sub.marketing_opt_in, "newsroom with marketing opt-in");
        }
        FormKind::Sales => {
            assert!(sub.organisation.is_some(), "sales without organisation");
            assert!(sub.subject.is_none(), "sales with subject");
            assert!(sub.article_title.is_none(), "sales with article title");
        }
    }
}
