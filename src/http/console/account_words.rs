//! The words of the accounts page's invitations and confirmations, and of the page an
//! invitation's link opens, in French and English.

use crate::domain::Locale;

pub struct AccountWords {
    pub invitation_pending: &'static str,
    pub resend_invitation: &'static str,
    pub invitation_sent: &'static str,
    pub invite_note: &'static str,
    pub confirm_disable_title: &'static str,
    pub confirm_disable_text: &'static str,
    pub confirm_disable: &'static str,
    pub cancel: &'static str,
    pub choose_password: &'static str,
    pub choose_password_for: &'static str,
    pub password_rules: &'static str,
    pub save_password: &'static str,
    pub password_set: &'static str,
    pub link_used: &'static str,
    pub link_expired: &'static str,
    pub link_unknown: &'static str,
    pub ask_admin: &'static str,
    pub go_sign_in: &'static str,
}

static FR: AccountWords = AccountWords {
    invitation_pending: "invitation en attente",
    resend_invitation: "Renvoyer l’invitation",
    invitation_sent: "Invitation envoyée.",
    invite_note: "Le compte reçoit par e-mail un lien, valable 72 heures, pour choisir lui-même \
                  son mot de passe.",
    confirm_disable_title: "Désactiver ce compte ?",
    confirm_disable_text: "Ses sessions prennent fin, il ne peut plus se connecter, et il est \
                           retiré des demandes qui lui sont assignées.",
    confirm_disable: "Oui, désactiver",
    cancel: "Annuler",
    choose_password: "Choisir votre mot de passe",
    choose_password_for: "Choisissez le mot de passe du compte",
    password_rules: "De {min} à {max} caractères. Une phrase de quelques mots se retient mieux \
                     qu’un mot compliqué.",
    save_password: "Enregistrer le mot de passe",
    password_set: "Mot de passe enregistré : connectez-vous.",
    link_used: "Ce lien a déjà servi : il ne fonctionne qu’une fois.",
    link_expired: "Ce lien a expiré : il était valable 72 heures.",
    link_unknown: "Ce lien n’est pas valable : une invitation plus récente l’a peut-être \
                   remplacé. Utilisez le dernier lien reçu.",
    ask_admin: "Si vous n’avez pas encore choisi votre mot de passe, demandez à un \
                administrateur de vous renvoyer une invitation.",
    go_sign_in: "Aller à la connexion",
};

static EN: AccountWords = AccountWords {
    invitation_pending: "invitation pending",
    resend_invitation: "Resend invitation",
    invitation_sent: "Invitation sent.",
    invite_note: "The account is e-mailed a link, valid 72 hours, to choose its own password.",
    confirm_disable_title: "Disable this account?",
    confirm_disable_text: "Its sessions end, it can no longer sign in, and it is taken off the \
                           submissions assigned to it.",
    confirm_disable: "Yes, disable",
    cancel: "Cancel",
    choose_password: "Choose your password",
    choose_password_for: "Choose the password of the account",
    password_rules:
        "{min} to {max} characters. A phrase of a few words is easier to remember than \
                     a complicated word.",
    save_password: "Save the password",
    password_set: "Password saved: sign in.",
    link_used: "This link has been used already: it works only once.",
    link_expired: "This link has expired: it was valid for 72 hours.",
    link_unknown: "This link is not valid: a newer invitation may have replaced it. Use the \
                   latest link you received.",
    ask_admin: "If you have not chosen your password yet, ask an admin to send you a new \
                invitation.",
    go_sign_in: "Go to sign-in",
};

pub fn account_words(locale: Locale) -> &'static AccountWords {
    match locale {
        Locale::Fr => &FR,
        Locale::En => &EN,
    }
}
