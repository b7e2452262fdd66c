//! A checked submission's e-mails (team notification, reader acknowledgement, staff reply) must
//! come out of `build_message` with exactly the expected headers, each once and properly folded,
//! and addressed to exactly the expected recipients: no field a reader fills in can add a header
//! line or a recipient.
//!
//! Input, so that seeds can be written by hand and most inputs decode to a valid submission:
//! a flags byte, a choices byte, then text fields separated by 0x1F (a control character, so no
//! valid field can contain it), read as UTF-8 (lossily):
//!
//!   0 name, 1 e-mail (local part, or the whole address when flag RAW_EMAIL is set),
//!   2 e-mail domain, 3 subject (newsroom) or organisation (sales), 4 message, 5 phone,
//!   6 article URL, 7 article title, 8 staff reply subject, 9 staff reply body, 10 reference.
//!
//! The fields are put into a JSON object with serde_json and go through `parse_submission`, as a
//! request body would; inputs it refuses are skipped (the form_decode target covers those).

#![no_main]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use courrier::db::outbox::OutboxJob;
use courrier::domain::i18n::{label, Label};
use courrier::domain::{FormKind, Locale, MessageBody, NewSubmission, OneLine, Topic};
use courrier::http::public::{parse_submission, Encoding};
use courrier::mail::{self, Rendered};
use lettre::message::{Mailbox, Mailboxes};
use lettre::Address;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};

const SALES: u8 = 1;
const LOCALE_FIELD: u8 = 2;
const LOCALE_EN: u8 = 4;
const TEAM_EN: u8 = 8;
const MARKETING: u8 = 16;
const STAFF_SUBJECT: u8 = 32;
const THREADED: u8 = 64;
const RAW_EMAIL: u8 = 128;

/// As in config/base.toml.
const FROM: &str = "Courrier <courrier@localhost>";
const SITE: &str = "Le Quotidien de démonstration";
const QUEUES: [(&str, &[&str], Option<&str>); 3] = [
    ("Rédaction", &["redaction@localhost"], None),
    (
        "Service commercial",
        &["commercial@localhost", "ventes@journal.example"],
        Some("Service commercial <commercial@journal.example>"),
    ),
    (
        "Courrier des lecteurs",
        &["lecteurs@journal.example"],
        Some("lecteurs@journal.example"),
    ),
];
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fuzz_target!(|data: &[u8]| {
    let (flags, choices, rest) = match data {
        [f, c, rest @ ..] => (*f, *c, rest),
        _ => return,
    };
    let fields: Vec<String> = rest
        .split(|&b| b == 0x1f)
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    let field = |i: usize| fields.get(i).map(String::as_str);
    let Some(sub) = submission(flags, choices, &field) else {
        return;
    };

    let reference = reference(field(10).unwrap_or(""));
    let (queue_label, notify, queue_address) = QUEUES[usize::from(choices >> 4) % QUEUES.len()];
    let team_locale = if flags & TEAM_EN != 0 {
        Locale::En
    } else {
        Locale::Fr
    };
    let reader = mailbox(sub.name.as_str(), sub.email.as_str());
    let reader_addr: Address = sub.email.as_str().parse().expect("a checked address");
    let notify_addrs: Vec<Address> = notify.iter().map(|a| a.parse().unwrap()).collect();

    // The team's notification: to the queue, replying to the reader (src/desk/intake.rs).
    let team = mail::team_notification(&mail::Facts::from(&sub), &reference, queue_label, team_locale)
        .expect("team notification renders");
    let team_job = job(FROM, notify.join(", "), Some(reader.clone()), team, None);
    check(&team_job, &notify_addrs, &sub, "team_notification");

    // The reader's acknowledgement.
    // The acknowledgement carries nothing the reader chose but the address (src/desk/intake.rs).
    let ack = mail::reader_ack(sub.locale, &reference, SITE).expect("acknowledgement renders");
    let ack_job = job(FROM, sub.email.as_str().to_owned(), None, ack, None);
    check(
        &ack_job,
        std::slice::from_ref(&reader_addr),
        &sub,
        "reader_ack",
    );

    // A staff reply, as src/triage.rs builds it.
    let from = queue_address.unwrap_or(FROM);
    let base = match field(8).filter(|_| flags & STAFF_SUBJECT != 0) {
        Some(s) if !s.trim().is_empty() => match OneLine::parse(s, 200) {
            Ok(s) => s.into_inner(),
            Err(_) => return,
        },
        _ => sub.subject.as_ref().map_or_else(
            || label(Label::AckSubject, sub.locale).to_owned(),
            |s| s.as_str().to_owned(),
        ),
    };
    let body = match field(9) {
        Some(b) if !b.is_empty() => match MessageBody::parse(b) {
            Ok(b) => b,
            Err(_) => return,
        },
        _ => sub.message.clone(),
    };
    let subject = format!("Re: [{reference}] {base}");
    let reply = mail::staff_reply(body.as_str(), &subject, sub.locale).expect("reply renders");
    let recipient = Mailbox::new(Some(sub.name.as_str().to_owned()), reader_addr.clone());
    let parent = (flags & THREADED != 0).then(|| ack_job.message_id.clone());
    let reply_job = job(from, recipient.to_string(), None, reply, parent);
    check(
        &reply_job,
        std::slice::from_ref(&reader_addr),
        &sub,
        "staff_reply",
    );
});

/// The submission from the fields, through the same decoding as a JSON request body.
fn submission<'a>(
    flags: u8,
    choices: u8,
    field: &dyn Fn(usize) -> Option<&'a str>,
) -> Option<NewSubmission> {
    let form = if flags & SALES != 0 {
        FormKind::Sales
    } else {
        FormKind::Newsroom
    };
    let topics = Topic::for_form(form);
    let topic = topics[usize::from(choices & 0x0f) % topics.len()];
    let mut o = Map::new();
    let text = |i: usize| field(i).filter(|v| !v.is_empty());
    o.insert("name".into(), json!(field(0).unwrap_or("Zoé Martin")));
    let email = if flags & RAW_EMAIL != 0 {
        field(1).unwrap_or("").to_owned()
    } else {
        let local: String = field(1)
            .unwrap_or("")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-.".contains(*c))
            .collect();
        let local = local.trim_matches('.');
        let local = if local.is_empty() { "lecteur" } else { local };
        let domain: String = field(2)
            .unwrap_or("")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
            .collect();
        let domain = domain.trim_matches(|c| c == '.' || c == '-');
        let domain = match domain {
            "" => "exemple.fr".to_owned(),
            d if !d.contains('.') => format!("{d}.fr"),
            d => d.to_owned(),
        };
        format!("{local}@{domain}")
    };
    o.insert("email".into(), json!(email));
    o.insert("topic".into(), json!(topic.as_str()));
    o.insert(
        "message".into(),
        json!(field(4).unwrap_or("Bonjour,\nune coquille.")),
    );
    o.insert("consent".into(), json!(true));
    let mut optional = vec![("phone", 5), ("article_url", 6)];
    match form {
        FormKind::Newsroom => optional.extend([("subject", 3), ("article_title", 7)]),
        FormKind::Sales => {
            let org = text(3).unwrap_or("Éditions Exemple");
            o.insert("organisation".into(), json!(org));
            o.insert("marketing_opt_in".into(), json!(flags & MARKETING != 0));
        }
    }
    for (k, i) in optional {
        if let Some(v) = text(i) {
            o.insert(k.into(), json!(v));
        }
    }
    if flags & LOCALE_FIELD != 0 {
        let l = if flags & LOCALE_EN != 0 { "en" } else { "fr" };
        o.insert("locale".into(), json!(l));
    }
    let body = serde_json::to_vec(&Value::Object(o)).expect("JSON");
    parse_submission(form, &body, Encoding::Json, Locale::Fr).ok()
}

/// A well-formed reference (`XXXX-XXXX`), from the field's bytes.
fn reference(seed: &str) -> String {
    let mut bytes = seed.bytes().chain(std::iter::repeat(7));
    let mut s = String::with_capacity(9);
    for i in 0..8 {
        if i == 4 {
            s.push('-');
        }
        s.push(ALPHABET[usize::from(bytes.next().unwrap_or(0) % 32)] as char);
    }
    s
}

/// `"Name" <address>`, as src/intake.rs writes the reader's mailbox.
fn mailbox(name: &str, email: &str) -> String {
    match email.parse::<Address>() {
        Ok(addr) => Mailbox::new(Some(name.to_owned()), addr).to_string(),
        Err(_) => email.to_owned(),
    }
}

fn job(
    from: &str,
    recipients: String,
    reply_to: Option<String>,
    rendered: Rendered,
    in_reply_to: Option<String>,
) -> OutboxJob {
    let sender: Mailbox = from.parse().expect("configured sender");
    OutboxJob {
        id: "00000000-0000-0000-0000-000000000000".into(),
        submission_id: "00000000-0000-0000-0000-000000000001".into(),
        purpose: "fuzz".into(),
        from_addr: from.to_owned(),
        recipients,
        reply_to,
        subject: rendered.subject,
        body_text: rendered.text,
        body_html: rendered.html,
        message_id: mail::new_message_id(&sender),
        in_reply_to,
        attempts: 0,
        created_at: chrono::DateTime::from_timestamp(0, 0)
            .expect("epoch")
            .naive_utc(),
    }
}

/// `FUZZ_SHOW_HEADERS=1` prints every header section (to look at a few inputs, not to fuzz).
fn show() -> bool {
    static SHOW: OnceLock<bool> = OnceLock::new();
    *SHOW.get_or_init(|| std::env::var_os("FUZZ_SHOW_HEADERS").is_some())
}

static BUILD_ERRORS: AtomicUsize = AtomicUsize::new(0);

fn check(job: &OutboxJob, expected_to: &[Address], sub: &NewSubmission, what: &str) {
    let (envelope, bytes) = match mail::build_message(job) {
        Ok(built) => built,
        Err(e) => {
            // The worker marks such a job dead; not a crash, but worth seeing in the log.
            if BUILD_ERRORS.fetch_add(1, Ordering::Relaxed) < 20 {
                eprintln!("build_message refused a {what} job: {e}; job: {job:?}");
            }
            return;
        }
    };

    // Exactly the intended recipients, and the sender, whatever the name says.
    let from: Mailbox = job.from_addr.parse().expect("sender");
    assert_eq!(
        envelope.from(),
        Some(&from.email),
        "{what}: envelope sender"
    );
    assert_eq!(envelope.to(), expected_to, "{what}: envelope recipients");

    // The display names survive the trip through the stored text.
    let name = sub.name.as_str();
    if what != "team_notification" {
        let to: Mailboxes = job.recipients.parse().expect("recipients parse");
        let to: Vec<&Mailbox> = to.iter().collect();
        assert_eq!(to.len(), 1, "{what}: one reader");
        assert_eq!(
            AsRef::<str>::as_ref(&to[0].email),
            sub.email.as_str(),
            "{what}: reader address"
        );
        check_name(what, to[0].name.as_deref(), name);
    }
    if let Some(reply_to) = &job.reply_to {
        let r: Mailbox = reply_to.parse().expect("reply-to parses");
        assert_eq!(
            AsRef::<str>::as_ref(&r.email),
            sub.email.as_str(),
            "{what}: reply-to address"
        );
        check_name(what, r.name.as_deref(), name);
    }

    // The header section: up to the first empty line.
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("{what}: no end of headers"));
    let head = &bytes[..end];
    let head = std::str::from_utf8(head).unwrap_or_else(|_| panic!("{what}: headers not UTF-8"));
    if show() {
        eprintln!("--- {what}\n{head}\n");
    }
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for (i, line) in head.split("\r\n").enumerate() {
        assert!(
            !line.contains('\r') && !line.contains('\n'),
            "{what}: bare CR or LF in header line {line:?}"
        );
        assert!(line.len() <= 998, "{what}: header line over 998 octets");
        if !skip("ascii_headers") {
            assert!(line.is_ascii(), "{what}: 8-bit header line {line:?}");
        }
        if line.starts_with([' ', '\t']) {
            assert!(i > 0, "{what}: headers start with a continuation line");
            assert!(
                !line.trim().is_empty(),
                "{what}: whitespace-only folded line"
            );
            continue;
        }
        let (name, _) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("{what}: header line without a colon: {line:?}"));
        assert!(
            !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':'),
            "{what}: bad header name {name:?}"
        );
        *names.entry(name.to_ascii_lowercase()).or_default() += 1;
    }
    let mut expected: BTreeMap<String, usize> = [
        "from",
        "to",
        "subject",
        "message-id",
        "date",
        "mime-version",
        "content-type",
    ]
    .into_iter()
    .map(|n| (n.to_owned(), 1))
    .collect();
    if job.reply_to.is_some() {
        expected.insert("reply-to".into(), 1);
    }
    if job.in_reply_to.is_some() {
        expected.insert("in-reply-to".into(), 1);
        expected.insert("references".into(), 1);
    }
    assert_eq!(names, expected, "{what}: header set\n{head}");

    // What a mail client shows, once it has unfolded and decoded the headers (RFC 2047), is what
    // was written: the reader's name, and the subject.
    let (headers, _) = mailparse::parse_headers(&bytes).expect("headers parse");
    assert_eq!(
        headers.len(),
        names.values().sum::<usize>(),
        "{what}: a mail parser sees other headers\n{head}"
    );
    let value = |n: &str| {
        headers
            .iter()
            .find(|h| h.get_key_ref().eq_ignore_ascii_case(n))
            .unwrap_or_else(|| panic!("{what}: no {n}"))
    };
    if !skip("subject_decode") {
        let shown = value("Subject").get_value();
        if skip("subject_spaces") {
            // Only what is not white space must read back (encoded words cannot be smuggled).
            let visible = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
            assert_eq!(
                visible(&shown),
                visible(&job.subject),
                "{what}: the subject reads differently once decoded\n{head}"
            );
        } else {
            assert_eq!(
                shown, job.subject,
                "{what}: the subject reads differently once decoded\n{head}"
            );
        }
    }
    let shown_name = |n: &str| match mailparse::addrparse_header(value(n)) {
        Ok(list) => match list.extract_single_info() {
            Some(single) => single.display_name,
            None => panic!("{what}: {n} is not one mailbox\n{head}"),
        },
        Err(e) => panic!("{what}: {n} does not parse ({e})\n{head}"),
    };
    if what != "team_notification" {
        check_name(what, shown_name("To").as_deref(), sub.name.as_str());
    }
    if job.reply_to.is_some() {
        check_name(what, shown_name("Reply-To").as_deref(), sub.name.as_str());
    }
}

/// `FUZZ_SKIP=a,b` relaxes checks that fail on a known, reported finding (see README.md), so that
/// the fuzzer can look for anything else: `ascii_headers` (no 7-bit check), `subject_spaces`
/// (the decoded subject need only match outside white space), `subject_decode` (no decoded
/// subject check at all).
fn skip(check: &str) -> bool {
    static SKIP: OnceLock<Vec<String>> = OnceLock::new();
    SKIP.get_or_init(|| {
        std::env::var("FUZZ_SKIP")
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().to_owned())
            .collect()
    })
    .iter()
    .any(|s| s == check)
}

/// The name as a mail client shows it. lettre's `Display` trims the name, and writes no name
/// when nothing is left; it writes a name made of atom characters as an unquoted phrase, in which
/// a run of spaces means one space (RFC 5322, 3.2.5), so "J  J" comes back as "J J". Anything
/// else must come back unchanged.
fn check_name(what: &str, got: Option<&str>, sent: &str) {
    let norm = |s: &str| {
        s.split(' ')
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let sent = sent.trim();
    if sent.is_empty() {
        assert_eq!(got, None, "{what}: blank name");
    } else {
        assert_eq!(
            got.map(norm),
            Some(norm(sent)),
            "{what}: display name changed"
        );
    }
}
