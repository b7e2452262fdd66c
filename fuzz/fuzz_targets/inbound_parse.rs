//! Inbound mail, parsed and matched as `desk::inbound::receive` does before it touches the
//! database: `mail::inbound::parse`, the quote stripper, the automatic-mail rules, the dedupe key,
//! the signed tokens in the recipients and the reference in the subject.
//!
//! Input: raw bytes of a message. Must hold: nothing panics; parsing is deterministic; every
//! header value read is one line (no control character); every message id is `<…>` without
//! white space; the stripped body is never longer than the text; a recipient address naming a
//! reference carries exactly the token of that reference; a reference found in a subject is
//! well-formed and is in the subject (any case).
#![no_main]

use courrier::desk::inbound::reference_in_subject;
use courrier::domain::Reference;
use courrier::mail::inbound::{parse, quotes};
use courrier::mail::reply_token::ReplyKey;
use libfuzzer_sys::fuzz_target;

fn one_line(what: &str, s: &str) {
    assert!(!s.chars().any(char::is_control), "{what}: {s:?}");
}

fuzz_target!(|raw: &[u8]| {
    let Ok(m) = parse(raw) else {
        return;
    };
    let again = parse(raw).expect("parses twice");
    assert_eq!(format!("{m:?}"), format!("{again:?}"), "deterministic");
    one_line("subject", &m.subject);
    if let Some(from) = &m.from {
        one_line("from", &from.address);
        if let Some(name) = &from.name {
            one_line("from name", name);
        }
    }
    for r in m.recipients.iter().chain(m.to.iter()) {
        one_line("recipient", r);
    }
    for id in m.message_id.iter().chain(m.parents.iter()) {
        assert!(id.starts_with('<') && id.ends_with('>'), "{id:?}");
        assert!(!id.contains(char::is_whitespace), "{id:?}");
    }
    for a in &m.attachments {
        one_line("attachment", &a.name);
    }
    let stripped = quotes::strip(&m.text);
    assert!(stripped.len() <= m.text.len(), "stripping adds nothing");
    let _ = m.automatic();
    let key = m.dedupe_key(raw);
    assert!(!key.is_empty());

    let reply_key = ReplyKey::new("fuzzing key, long enough to count");
    let queue: lettre::message::Mailbox = "Rédaction <redaction@journal.example>"
        .parse()
        .expect("queue address");
    for r in &m.recipients {
        if let Some(reference) = reply_key.reference_in(r, &[&queue]) {
            assert!(Reference::is_well_formed(&reference));
            let token = reply_key.token(&reference);
            assert!(r.to_ascii_lowercase().contains(&token), "{r} names {reference}");
        }
    }
    if let Some(reference) = reference_in_subject(&m.subject) {
        assert!(Reference::is_well_formed(&reference));
        assert!(m.subject.to_uppercase().contains(&reference), "{reference}");
    }
});
