//! HTML-only mail turned into text: tags dropped (scripts, styles and titles with their
//! content), block ends made line breaks, character references decoded. Inbound HTML is never
//! served as HTML.
//!
//! The tokenizer is html5gum's (the WHATWG tokenizer, which switches to raw text inside
//! `script`, `style`, `title` and the like): one pass over the input, each character looked at a
//! bounded number of times, whatever the input. What it costs is still bounded by a deadline,
//! checked every few hundred tokens: past it, the conversion gives up.

use std::time::Instant;

use html5gum::emitters::callback::{CallbackEmitter, CallbackEvent};
use html5gum::{Span, Tokenizer};

/// Tokens between two looks at the clock.
const CLOCK_EVERY: u32 = 256;

/// The text of an HTML body, however long it takes.
#[cfg(test)]
pub fn to_text(html: &str) -> String {
    to_text_until(html, None).unwrap_or_default()
}

/// The text of an HTML body, or `None` when the deadline passed first.
pub fn to_text_until(html: &str, deadline: Option<Instant>) -> Option<String> {
    let mut text = Text::default();
    let mut tokens = 0u32;
    let late;
    {
        let mut emitter = CallbackEmitter::new(|event: CallbackEvent<'_>, _: Span<()>| {
            text.take(event);
            tokens = tokens.wrapping_add(1);
            // Yielding a token stops the loop below.
            (tokens.is_multiple_of(CLOCK_EVERY) && deadline.is_some_and(|d| Instant::now() >= d))
                .then_some(())
        });
        emitter.naively_switch_states(true);
        // The tokenizer yields nothing but the stop: it runs to the end unless stopped.
        late = Tokenizer::new_with_emitter(html, emitter).next().is_some();
    }
    if late || deadline.is_some_and(|d| Instant::now() >= d) {
        return None;
    }
    Some(tidy(&text.out))
}

/// What has been read so far.
#[derive(Default)]
struct Text {
    out: String,
    /// Inside an element whose content is not text to show (`script`, `style`, `title`, …).
    hidden: bool,
}

impl Text {
    fn take(&mut self, event: CallbackEvent<'_>) {
        match event {
            CallbackEvent::String { value } if !self.hidden => {
                self.out.push_str(&String::from_utf8_lossy(value));
            }
            CallbackEvent::OpenStartTag { name } => {
                if hidden(name) {
                    self.hidden = true;
                }
                match name {
                    b"br" | b"li" | b"p" | b"blockquote" => self.out.push('\n'),
                    _ => {}
                }
            }
            CallbackEvent::EndTag { name } => {
                // The tokenizer read a hidden element's content as raw text up to its own end
                // tag: whatever ends here, nothing hidden is open any more.
                self.hidden = false;
                match name {
                    b"p" | b"div" | b"tr" | b"li" | b"h1" | b"h2" | b"h3" | b"h4" | b"h5"
                    | b"h6" | b"blockquote" | b"table" | b"ul" | b"ol" => self.out.push('\n'),
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

/// Elements whose content is never shown as text. The tokenizer reads the content of each as
/// raw text, up to the element's own end tag: no tag inside it is seen.
fn hidden(name: &[u8]) -> bool {
    matches!(
        name,
        b"script" | b"style" | b"title" | b"iframe" | b"noembed" | b"noscript"
    )
}

/// At most one blank line in a row, no trailing spaces, no-break spaces as spaces.
fn tidy(out: &str) -> String {
    let mut text = String::with_capacity(out.len());
    let mut blank = 0;
    for line in out.lines().map(str::trim_end) {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        text.extend(line.chars().map(|c| if c == '\u{a0}' { ' ' } else { c }));
        text.push('\n');
    }
    text.trim().to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn html_becomes_text_without_markup_or_scripts() {
        let html = "<html><head><style>p{color:red}</style></head><body>\
            <p>Bonjour&nbsp;!</p><p>Voici <b>la</b> suite &amp; la fin.<br>Zoé</p>\
            <script>alert(1)</script><div>&#233;t&#xE9;</div></body></html>";
        let text = super::to_text(html);
        assert_eq!(text, "Bonjour !\n\nVoici la suite & la fin.\nZoé\nété");
    }

    #[test]
    fn what_a_script_or_style_holds_is_never_text_even_when_it_looks_like_markup() {
        let html = "<SCRIPT>if (a<b) document.write('<p>x</p>')</SCRIPT><Style>p{}</Style>\
            <title>T</title><p>Vu &amp; lu &copy 2026</p>";
        assert_eq!(super::to_text(html), "Vu & lu \u{a9} 2026");
    }

    #[test]
    fn past_its_deadline_the_conversion_gives_up() {
        let html = "<p>x</p>".repeat(10_000);
        let past = std::time::Instant::now();
        assert_eq!(super::to_text_until(&html, Some(past)), None);
        let later = past + std::time::Duration::from_secs(60);
        assert!(super::to_text_until(&html, Some(later)).is_some());
    }

    /// The shortest of a few timed runs of `to_text` over `input`.
    fn fastest(input: &str) -> std::time::Duration {
        (0..3)
            .map(|_| {
                let start = std::time::Instant::now();
                std::hint::black_box(super::to_text(std::hint::black_box(input)));
                start.elapsed()
            })
            .min()
            .unwrap_or_default()
    }

    /// The shapes that made the old hand-written scanner quadratic (each `&` looked for a `;`
    /// to the end of the text; each `<script>` lowered the rest of it) cost four times as much
    /// at four times the size, not sixteen. The ratio of two timings, never a timing: the
    /// machine may be slow, not that much slower at one size than at the other. A ratio over
    /// the bound is measured again before it fails, so one noisy moment is not a failure.
    #[test]
    fn conversion_time_grows_linearly_with_adversarial_html() {
        let shapes: [(&str, &str); 8] = [
            ("& without ;", "&"),
            ("&amp without ;", "&amp"),
            ("numeric reference without ;", "&#x41"),
            ("script pairs", "<script></script>"),
            ("style pairs", "<STYLE></style>"),
            ("unclosed script and &", "<script>&"),
            ("paragraphs", "<p>a</p>"),
            ("comments", "<!-- -->&"),
        ];
        let n = 32 * 1024;
        for (name, unit) in shapes {
            let small = unit.repeat(n / unit.len());
            let large = unit.repeat(4 * n / unit.len());
            let mut ratios = Vec::new();
            let linear = (0..3).any(|_| {
                let ratio = fastest(&large).as_secs_f64() / fastest(&small).as_secs_f64().max(1e-6);
                ratios.push(ratio);
                ratio < 10.0
            });
            assert!(linear, "{name}: 4x the input took {ratios:?} times as long");
        }
    }
}
