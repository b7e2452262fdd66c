//! The e-mails of the newsroom's duties: right-of-reply escalations to the publication director,
//! and the outcome told to the one who asked for the reply. Plain paragraphs, escaped in HTML.

use askama::Template;
use chrono::NaiveDateTime;

use crate::domain::{Locale, Outcome, RefusalGrounds, Zone};

use super::Rendered;

#[derive(Template)]
#[template(path = "mail/notice.txt")]
struct NoticeText<'a> {
    paragraphs: &'a [String],
    signature: &'a str,
}

#[derive(Template)]
#[template(path = "mail/notice.html")]
struct NoticeHtml<'a> {
    lang: &'a str,
    subject: &'a str,
    paragraphs: &'a [String],
    signature: &'a str,
}

fn notice(
    locale: Locale,
    subject: String,
    paragraphs: &[String],
    signature: &str,
) -> Result<Rendered, askama::Error> {
    let text = NoticeText {
        paragraphs,
        signature,
    }
    .render()?;
    let html = NoticeHtml {
        lang: locale.as_str(),
        subject: &subject,
        paragraphs,
        signature,
    }
    .render()?;
    Ok(Rendered {
        subject,
        text,
        html,
    })
}

/// Which escalation of a right of reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escalation {
    Receipt,
    Warning { hours: u32 },
    Breach,
}

/// What an escalation says about its right of reply (no word of the reader's).
pub struct EscalationFacts<'a> {
    pub reference: &'a str,
    pub received_at: NaiveDateTime,
    pub deadline_at: NaiveDateTime,
    pub article_url: Option<&'a str>,
    /// Asked for over three months after publication.
    pub out_of_time: bool,
}

/// A UTC time as the newsroom's e-mails write it: in its zone (`site.timezone`), with the zone's
/// abbreviation, in `locale`; saved replies fill `{deadline}` with it too.
pub fn when(t: NaiveDateTime, locale: Locale, zone: Zone) -> String {
    match locale {
        Locale::Fr => zone.show(t, "%d/%m/%Y à %H:%M %Z"),
        Locale::En => zone.show(t, "%Y-%m-%d %H:%M %Z"),
    }
}

/// An escalation to the publication director and the assignee, in the team's language.
pub fn escalation(
    which: Escalation,
    f: &EscalationFacts<'_>,
    locale: Locale,
    zone: Zone,
    site: &str,
) -> Result<Rendered, askama::Error> {
    let (r, deadline) = (f.reference, when(f.deadline_at, locale, zone));
    let fr = locale == Locale::Fr;
    let subject = match (which, fr) {
        (Escalation::Receipt, true) => {
            format!("[{r}] Droit de réponse reçu : insertion avant le {deadline}")
        }
        (Escalation::Receipt, false) => {
            format!("[{r}] Right of reply received: insert by {deadline}")
        }
        (Escalation::Warning { hours }, true) => {
            format!("[{r}] Droit de réponse : moins de {hours} h avant l’échéance")
        }
        (Escalation::Warning { hours }, false) => {
            format!("[{r}] Right of reply: under {hours} h to the deadline")
        }
        (Escalation::Breach, true) => format!("[{r}] Droit de réponse : échéance dépassée"),
        (Escalation::Breach, false) => format!("[{r}] Right of reply: deadline passed"),
    };
    let mut paragraphs = vec![if fr {
        format!(
            "Demande de droit de réponse {r}, reçue le {}. La loi impose son insertion dans les trois jours de sa réception (LCEN, art. 6-IV ; décret 2007-1527), sous peine d’une amende de 3 750 €. Échéance : {deadline}.",
            when(f.received_at, locale, zone)
        )
    } else {
        format!(
            "Right-of-reply request {r}, received {}. The law requires its insertion within three days of receipt (LCEN art. 6-IV; decree 2007-1527), on pain of a €3,750 fine. Deadline: {deadline}.",
            when(f.received_at, locale, zone)
        )
    }];
    if which == Escalation::Breach {
        paragraphs.push(if fr {
            "L’échéance est passée et la demande n’est pas close : insérez la réponse ou consignez le refus et son motif.".into()
        } else {
            "The deadline has passed and the request is still open: insert the reply or record the refusal and its grounds.".into()
        });
    }
    if let Some(url) = f.article_url {
        paragraphs.push(if fr {
            format!("Article : {url}")
        } else {
            format!("Article: {url}")
        });
    }
    if f.out_of_time {
        paragraphs.push(if fr {
            "Attention : la demande est parvenue plus de trois mois après la publication de l’article.".into()
        } else {
            "Note: the request arrived more than three months after the article's publication.".into()
        });
    }
    notice(locale, subject, &paragraphs, site)
}

/// The grounds of a refusal, as the requester reads them.
pub fn grounds_text(g: RefusalGrounds, locale: Locale) -> &'static str {
    use RefusalGrounds::*;
    match (g, locale) {
        (ContraryToLaw, Locale::Fr) => "la réponse est contraire à la loi",
        (ContraryToLaw, Locale::En) => "the reply is contrary to law",
        (ThirdPartyInterest, Locale::Fr) => "elle porte atteinte à l’intérêt légitime d’un tiers",
        (ThirdPartyInterest, Locale::En) => "it harms a third party's legitimate interest",
        (JournalistHonour, Locale::Fr) => {
            "elle porte atteinte à l’honneur du journaliste ou de l’auteur"
        }
        (JournalistHonour, Locale::En) => "it harms the honour of the journalist or author",
        (Unrelated, Locale::Fr) => "elle est sans rapport avec l’article",
        (Unrelated, Locale::En) => "it is unrelated to the article",
        (TooLong, Locale::Fr) => "elle dépasse la longueur permise",
        (TooLong, Locale::En) => "it exceeds the permitted length",
        (OutOfTime, Locale::Fr) => {
            "la demande est parvenue plus de trois mois après la publication"
        }
        (OutOfTime, Locale::En) => "the request arrived more than three months after publication",
    }
}

/// The outcome of a right of reply, told to the one who asked, in their language.
pub fn reply_outcome(
    outcome: &Outcome,
    reference: &str,
    locale: Locale,
    site: &str,
) -> Result<Rendered, askama::Error> {
    let fr = locale == Locale::Fr;
    let subject = if fr {
        format!("Votre droit de réponse [{reference}]")
    } else {
        format!("Your right of reply [{reference}]")
    };
    let mut paragraphs = vec![if fr {
        "Bonjour,".to_owned()
    } else {
        "Hello,".to_owned()
    }];
    match outcome {
        Outcome::Inserted { url, published_at } => paragraphs.push(if fr {
            format!("Votre réponse (référence {reference}) a été publiée le {published_at} : {url}")
        } else {
            format!("Your reply (reference {reference}) was published on {published_at}: {url}")
        }),
        Outcome::Refused { grounds, note } => {
            let why = grounds_text(*grounds, locale);
            paragraphs.push(if fr {
                format!("Votre demande de droit de réponse (référence {reference}) n’a pas été insérée. Motif : {why}.")
            } else {
                format!("Your right-of-reply request (reference {reference}) was not inserted. Grounds: {why}.")
            });
            paragraphs.extend(note.clone());
        }
        // Corrections are published for all readers, not told one by one.
        Outcome::Corrected { .. } => {}
    }
    notice(locale, subject, &paragraphs, site)
}
