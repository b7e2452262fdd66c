//! The quoted history under a reply, stripped from the body shown on the thread (the full text
//! is kept). Mail clients mark it with an attribution line ("On … wrote:", "Le … a écrit :"),
//! a header block ("From: … Sent: …", "De : … Envoyé : …"), a separator, or `>` quoting.

/// The new text of a reply: everything above the first mark of quoted history.
pub fn strip(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut cut = lines.len();
    for (i, line) in lines.iter().enumerate() {
        let here = line.trim();
        let next = lines.get(i + 1).map_or("", |l| l.trim());
        let joined = format!("{here} {next}");
        if attribution(here)
            || (attribution(&joined) && !here.is_empty() && !attribution(next))
            || header_block(&lines[i..])
            || separator(here)
        {
            cut = i;
            break;
        }
    }
    let mut kept: Vec<&str> = lines[..cut].to_vec();
    // Bottom-posted `>` quoting with nothing after it, and blank lines, go too.
    while kept
        .last()
        .is_some_and(|l| l.trim().is_empty() || l.trim_start().starts_with('>'))
    {
        kept.pop();
    }
    let body = kept.join("\n").trim().to_owned();
    if body.is_empty() {
        // Nothing but quotes (or an answer written inside them): show it all rather than
        // nothing.
        text.trim().to_owned()
    } else {
        body
    }
}

/// "On Tue, 1 Dec 2026 at 10:00, Zoé <z@example.fr> wrote:" (Gmail, Apple Mail, Thunderbird),
/// "Le mar. 1 déc. 2026 à 10:00, Zoé <z@example.fr> a écrit :".
fn attribution(line: &str) -> bool {
    let l = line.to_lowercase();
    let l = l.trim_start_matches('>').trim();
    (l.starts_with("on ") && l.ends_with("wrote:"))
        || (l.starts_with("le ") && (l.ends_with("a écrit :") || l.ends_with("a écrit:")))
        || (l.ends_with("a écrit :") && l.contains('@'))
        || (l.ends_with("wrote:") && l.contains('@'))
}

/// Outlook's header block: "From:" (or "De :") then "Sent:"/"Envoyé :" or "Date:" within the
/// next few lines.
fn header_block(lines: &[&str]) -> bool {
    let starts = |l: &str, names: &[&str]| {
        let l = l.trim().trim_start_matches('*').to_lowercase();
        names.iter().any(|n| l.starts_with(n))
    };
    let Some(first) = lines.first() else {
        return false;
    };
    starts(first, &["from:", "de :", "de:", "von:"])
        && lines.iter().skip(1).take(4).any(|l| {
            starts(
                l,
                &[
                    "sent:",
                    "envoyé :",
                    "envoyé:",
                    "date:",
                    "date :",
                    "gesendet:",
                ],
            )
        })
}

/// "-----Original Message-----", "-----Message d'origine-----", Outlook's rule of underscores.
fn separator(line: &str) -> bool {
    let l = line.to_lowercase();
    (l.starts_with("-----") && (l.contains("original message") || l.contains("message d'origine")))
        || (l.len() >= 20 && l.chars().all(|c| c == '_'))
        || l == "-------- message original --------"
        || l == "-------- original message --------"
        || l.starts_with("-------- message transféré")
        || l.starts_with("-------- forwarded message")
}
