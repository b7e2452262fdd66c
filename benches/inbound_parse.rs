//! How long reading an inbound message takes (`mail::inbound::parse`, the HTML made text), for
//! HTML-only messages up to `inbound.max_bytes`: ordinary HTML, and the shapes that were
//! quadratic before the tokenizer (issue 21): `&` with no `;`, and `<script></script>` pairs.
//!
//! Run with `cargo bench --bench inbound_parse` (release). Each message is read `RUNS` times;
//! the fastest and the median are printed on lines starting with `RESULT`.

use std::time::{Duration, Instant};

use courrier::mail::inbound::parse;

const RUNS: usize = 5;
const MIB: usize = 1024 * 1024;

/// An HTML-only message whose HTML is `unit` repeated to `size` bytes.
fn html_message(unit: &str, size: usize) -> Vec<u8> {
    let mut raw = b"From: Ana <ana@example.org>\r\nTo: <redaction@journal.example>\r\n\
        Subject: Page\r\nMessage-ID: <bench@example.org>\r\nMIME-Version: 1.0\r\n\
        Content-Type: text/html; charset=utf-8\r\n\r\n"
        .to_vec();
    let body = size.saturating_sub(raw.len() + 2);
    raw.extend(unit.repeat(body / unit.len()).bytes());
    raw.extend_from_slice(b"\r\n");
    raw
}

fn main() {
    // An ordinary newsletter's HTML: paragraphs, links, entities, a table row, a style.
    let ordinary =
        "<div class=\"p\"><p>Bonjour&nbsp;! Voici <a href=\"https://example.org/a?b=1&amp;c=2\">\
        la suite</a> &eacute;t&eacute; 2026 &#8212; <b>fin</b>.</p><table><tr><td>1</td><td>2</td>\
        </tr></table><style>p{color:red}</style><br/></div>\n";
    let cases: [(&str, &str, usize); 5] = [
        ("ordinary HTML, 25 MiB", ordinary, 25 * MIB - 1024),
        ("& without ;, 1.6 MiB", "&", 1_600 * 1024),
        (
            "<script></script> pairs, 1.6 MiB",
            "<script></script>",
            1_600 * 1024,
        ),
        ("& without ;, 25 MiB", "&", 25 * MIB - 1024),
        (
            "<script></script> pairs, 25 MiB",
            "<script></script>",
            25 * MIB - 1024,
        ),
    ];
    for (name, unit, size) in cases {
        let raw = html_message(unit, size);
        let mut times: Vec<Duration> = (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                let read = parse(std::hint::black_box(&raw));
                let took = start.elapsed();
                assert!(read.is_ok(), "{name}: not read");
                took
            })
            .collect();
        times.sort();
        let text = parse(&raw).map(|m| m.text.len()).unwrap_or_default();
        println!(
            "RESULT inbound-parse case=\"{name}\" bytes={} text_bytes={text} fastest_ms={:.1} median_ms={:.1} runs={RUNS}",
            raw.len(),
            times[0].as_secs_f64() * 1e3,
            times[RUNS / 2].as_secs_f64() * 1e3,
        );
    }
}
