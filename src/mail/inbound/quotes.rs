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
            || (opens_attribution(here) && attribution(&joined))
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

/// The first words of an attribution that a client wrapped over two lines.
fn opens_attribution(line: &str) -> bool {
    let l = line.to_lowercase();
    let l = l.trim_start_matches('>').trim();
    l.starts_with("on ") || l.starts_with("le ")
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

#[cfg(test)]
mod tests {
    use super::strip;

    const NEW: &str = "Merci, voici la suite.\n\nZoé";

    fn check(client: &str, reply: &str) {
        assert_eq!(strip(reply), NEW, "{client}:\n{reply}");
    }

    #[test]
    fn gmail_in_french_and_english() {
        check(
            "Gmail fr",
            "Merci, voici la suite.\n\nZoé\n\nLe mar. 1 déc. 2026 à 10:02, Rédaction <\nredaction+k7qm3xzdabcdefghjk@journal.example> a écrit :\n\n> Bonjour,\n> Nous avons bien reçu votre message.\n",
        );
        check(
            "Gmail en",
            "Merci, voici la suite.\n\nZoé\n\nOn Tue, Dec 1, 2026 at 10:02 AM Rédaction <redaction@journal.example>\nwrote:\n\n> Hello,\n> We have received your message.\n",
        );
    }

    #[test]
    fn outlook_in_french_and_english() {
        check(
            "Outlook fr",
            "Merci, voici la suite.\n\nZoé\n\n________________________________\nDe : Rédaction <redaction@journal.example>\nEnvoyé : mardi 1 décembre 2026 10:02\nÀ : Zoé Martin <zoe.martin@example.fr>\nObjet : Votre message [K7QM-3XZD]\n\nBonjour,\n",
        );
        check(
            "Outlook en",
            "Merci, voici la suite.\n\nZoé\n\nFrom: Rédaction <redaction@journal.example>\nSent: Tuesday, December 1, 2026 10:02 AM\nTo: Zoé Martin <zoe.martin@example.fr>\nSubject: Your message [K7QM-3XZD]\n\nHello,\n",
        );
        check(
            "Outlook desktop",
            "Merci, voici la suite.\n\nZoé\n\n-----Original Message-----\nFrom: Rédaction\nSent: Tuesday\n",
        );
    }

    #[test]
    fn apple_mail_in_french_and_english() {
        check(
            "Apple Mail fr",
            "Merci, voici la suite.\n\nZoé\n\n> Le 1 déc. 2026 à 10:02, Rédaction <redaction@journal.example> a écrit :\n> \n> Bonjour,\n",
        );
        check(
            "Apple Mail en",
            "Merci, voici la suite.\n\nZoé\n\n> On 1 Dec 2026, at 10:02, Rédaction <redaction@journal.example> wrote:\n> \n> Hello,\n",
        );
    }

    #[test]
    fn thunderbird_in_french_and_english() {
        check(
            "Thunderbird fr",
            "Merci, voici la suite.\n\nZoé\n\nLe 01/12/2026 à 10:02, Rédaction a écrit :\n> Bonjour,\n> Nous avons bien reçu votre message.\n",
        );
        check(
            "Thunderbird en",
            "Merci, voici la suite.\n\nZoé\n\nOn 01/12/2026 10:02, Rédaction wrote:\n> Hello,\n",
        );
    }

    #[test]
    fn text_without_quotes_stays_whole_and_a_reply_written_inside_quotes_is_kept() {
        assert_eq!(strip(NEW), NEW);
        let inline = "> Pouvez-vous préciser ?\nOui : mardi.\n> Et le lieu ?\nLa mairie.";
        assert_eq!(strip(inline), inline);
        // A line that merely mentions writing is not an attribution.
        let prose = "On m'a dit qu'il a écrit :\nla suite demain.";
        assert_eq!(strip(prose), prose);
    }
}
