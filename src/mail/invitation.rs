//! The invitation e-mail: a new colleague's single-use link to set their password.

use askama::Template;

use super::Rendered;
use crate::domain::{Locale, Password};

const MIN: usize = Password::MIN;
const MAX: usize = Password::MAX;

/// What the invitation says, in one language.
struct InvitationView<'a> {
    lang: &'a str,
    subject: String,
    greeting: String,
    body: String,
    link: &'a str,
    validity: &'a str,
    rules: String,
    ignore: &'a str,
    site: &'a str,
}

#[derive(Template)]
#[template(path = "mail/invitation.txt")]
struct InvitationText<'a> {
    v: &'a InvitationView<'a>,
}

#[derive(Template)]
#[template(path = "mail/invitation.html")]
struct InvitationHtml<'a> {
    v: &'a InvitationView<'a>,
}

/// The invitation to `name`, with the link to follow within `hours`.
pub fn invitation(
    locale: Locale,
    name: &str,
    link: &str,
    hours: u32,
    site: &str,
) -> Result<Rendered, askama::Error> {
    let (subject, greeting, body, validity, rules, ignore) = match locale {
        Locale::Fr => (
            format!("Votre compte sur la console de {site}"),
            format!("Bonjour {name}"),
            format!(
                "Un compte a été ouvert pour vous sur la console de {site}. Choisissez votre \
                 mot de passe en suivant ce lien :"
            ),
            format!("Ce lien ne sert qu’une fois et reste valable {hours} heures."),
            format!("Le mot de passe compte de {MIN} à {MAX} caractères."),
            "Si vous n’attendiez pas ce message, ignorez-le : sans mot de passe choisi, le \
             compte reste fermé.",
        ),
        Locale::En => (
            format!("Your account on the {site} console"),
            format!("Hello {name}"),
            format!(
                "An account has been opened for you on the {site} console. Choose your \
                 password by following this link:"
            ),
            format!("The link works once and for {hours} hours."),
            format!("The password has {MIN} to {MAX} characters."),
            "If you did not expect this message, ignore it: until a password is chosen, the \
             account stays closed.",
        ),
    };
    let view = InvitationView {
        lang: locale.as_str(),
        subject,
        greeting,
        body,
        link,
        validity: &validity,
        rules,
        ignore,
        site,
    };
    Ok(Rendered {
        subject: view.subject.clone(),
        text: InvitationText { v: &view }.render()?,
        html: InvitationHtml { v: &view }.render()?,
    })
}
