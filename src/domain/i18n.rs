//! The reader-facing message catalogue, in French and English. Every sentence a reader can see
//! comes from here, so a translation is one match arm away.

use super::{Locale, Topic};

/// A message a reader may see, with whatever it needs to be written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    Received,
    ValidationFailed,
    Required,
    TooLong {
        max: usize,
    },
    LineBreakOrControl,
    ControlCharacter,
    InvalidEmail,
    InvalidUrl,
    InvalidPhone,
    ConsentRequired,
    InvalidChoice,
    InvalidCheckbox,
    Malformed,
    RequestTimeout,
    TooLarge,
    UnsupportedMediaType,
    Unavailable,
    Internal,
    Unauthorized,
    InvalidCredentials,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    IdempotencyKeyReused,
    HeadersTooLarge,
    IllegalTransition,
    VersionConflict,
    /// A reply written before the thread's newest items: not sent.
    ThreadChanged,
    /// A `thread_seen` that names no item of the submission's thread.
    NotInThread,
    PreconditionFailed,
    TooManyRequests,
    EmailTaken,
    /// An admin tried to disable their own account.
    CannotDisableSelf,
    /// An invitation was asked for a disabled account.
    AccountDisabled,
    AlreadyHandedOver,
    NotEditorial,
    PasswordTooShort,
    PasswordTooLong,
    AssigneeNotAllowed,
    InvalidDate,
    OutcomeRequired,
    OutcomeNotForTopic,
    OutcomeWithoutResolving,
    UnknownConsentVersion,
    /// A period whose start is after its end.
    PeriodBackwards,
    /// A character XML 1.0 cannot carry (U+FFFE, U+FFFF), in a text published in XML.
    InvalidCharacter,
    /// A saved reply names a variable that does not exist.
    UnknownVariable,
}

impl Msg {
    /// The stable code a program can match on.
    pub fn code(self) -> &'static str {
        match self {
            Msg::Received => "received",
            Msg::ValidationFailed => "validation_failed",
            Msg::Required => "required",
            Msg::TooLong { .. } => "too_long",
            Msg::LineBreakOrControl => "line_break_not_allowed",
            Msg::ControlCharacter => "control_character",
            Msg::InvalidEmail => "invalid_email",
            Msg::InvalidUrl => "invalid_url",
            Msg::InvalidPhone => "invalid_phone",
            Msg::ConsentRequired => "consent_required",
            Msg::InvalidChoice => "invalid_choice",
            Msg::InvalidCheckbox => "invalid_checkbox",
            Msg::Malformed => "malformed_request",
            Msg::RequestTimeout => "request_timeout",
            Msg::TooLarge => "payload_too_large",
            Msg::UnsupportedMediaType => "unsupported_media_type",
            Msg::Unavailable => "service_unavailable",
            Msg::Internal => "internal_error",
            Msg::Unauthorized => "unauthorized",
            Msg::InvalidCredentials => "invalid_credentials",
            Msg::Forbidden => "forbidden",
            Msg::NotFound => "not_found",
            Msg::MethodNotAllowed => "method_not_allowed",
            Msg::IdempotencyKeyReused => "idempotency_key_reused",
            Msg::HeadersTooLarge => "headers_too_large",
            Msg::IllegalTransition => "illegal_transition",
            Msg::VersionConflict => "version_conflict",
            Msg::ThreadChanged => "thread_changed",
            Msg::NotInThread => "not_in_thread",
            Msg::PreconditionFailed => "precondition_failed",
            Msg::TooManyRequests => "too_many_requests",
            Msg::EmailTaken => "email_taken",
            Msg::CannotDisableSelf => "cannot_disable_self",
            Msg::AccountDisabled => "account_disabled",
            Msg::AlreadyHandedOver => "already_handed_over",
            Msg::NotEditorial => "not_editorial",
            Msg::PasswordTooShort => "password_too_short",
            Msg::PasswordTooLong => "password_too_long",
            Msg::AssigneeNotAllowed => "assignee_not_allowed",
            Msg::InvalidDate => "invalid_date",
            Msg::OutcomeRequired => "outcome_required",
            Msg::OutcomeNotForTopic => "outcome_not_for_topic",
            Msg::OutcomeWithoutResolving => "outcome_without_resolving",
            Msg::UnknownConsentVersion => "unknown_consent_version",
            Msg::PeriodBackwards => "period_backwards",
            Msg::InvalidCharacter => "invalid_character",
            Msg::UnknownVariable => "unknown_variable",
        }
    }

    pub fn text(self, locale: Locale) -> String {
        use Locale::*;
        match (self, locale) {
            (Msg::Received, Fr) => "Merci, votre message a bien été reçu. Conservez votre référence : elle nous permettra de retrouver votre demande.".into(),
            (Msg::Received, En) => "Thank you, your message has been received. Keep your reference: it lets us find your request.".into(),
            (Msg::ValidationFailed, Fr) => "Certains champs sont à corriger.".into(),
            (Msg::ValidationFailed, En) => "Some fields need correcting.".into(),
            (Msg::Required, Fr) => "Ce champ est obligatoire.".into(),
            (Msg::Required, En) => "This field is required.".into(),
            (Msg::TooLong { max }, Fr) => format!("Ce champ est limité à {max} caractères."),
            (Msg::TooLong { max }, En) => format!("This field is limited to {max} characters."),
            (Msg::LineBreakOrControl, Fr) => "Ce champ tient sur une seule ligne, sans caractères de contrôle.".into(),
            (Msg::LineBreakOrControl, En) => "This field must fit on one line, without control characters.".into(),
            (Msg::ControlCharacter, Fr) => "Ce texte contient un caractère de contrôle non autorisé.".into(),
            (Msg::ControlCharacter, En) => "This text contains a control character that is not allowed.".into(),
            (Msg::InvalidEmail, Fr) => "Cette adresse e-mail n’est pas valide.".into(),
            (Msg::InvalidEmail, En) => "This e-mail address is not valid.".into(),
            (Msg::InvalidUrl, Fr) => "Indiquez une adresse web complète commençant par http:// ou https://.".into(),
            (Msg::InvalidUrl, En) => "Give a full web address starting with http:// or https://.".into(),
            (Msg::InvalidPhone, Fr) => "Ce numéro de téléphone n’est pas valide.".into(),
            (Msg::InvalidPhone, En) => "This phone number is not valid.".into(),
            (Msg::ConsentRequired, Fr) => "Votre accord est nécessaire pour que nous puissions traiter votre demande.".into(),
            (Msg::ConsentRequired, En) => "We need your consent to handle your request.".into(),
            (Msg::InvalidChoice, Fr) => "Choisissez une des options proposées.".into(),
            (Msg::InvalidChoice, En) => "Choose one of the options offered.".into(),
            (Msg::InvalidCheckbox, Fr) => "Cette case se coche ou se décoche : sa valeur n’est pas reconnue.".into(),
            (Msg::InvalidCheckbox, En) => "This box is ticked or not: its value is not recognised.".into(),
            (Msg::Malformed, Fr) => "La requête est mal formée.".into(),
            (Msg::Malformed, En) => "The request is malformed.".into(),
            (Msg::RequestTimeout, Fr) => "La requête n’est pas arrivée à temps : réessayez.".into(),
            (Msg::RequestTimeout, En) => "The request did not arrive in time: please try again.".into(),
            (Msg::TooLarge, Fr) => "Le message envoyé est trop volumineux.".into(),
            (Msg::TooLarge, En) => "The message sent is too large.".into(),
            (Msg::UnsupportedMediaType, Fr) => "Ce format d’envoi n’est pas accepté.".into(),
            (Msg::UnsupportedMediaType, En) => "This content type is not accepted.".into(),
            (Msg::Unavailable, Fr) => "Le service est momentanément indisponible. Votre message n’a pas été enregistré : réessayez dans un instant.".into(),
            (Msg::Unavailable, En) => "The service is briefly unavailable. Your message was not saved: please try again in a moment.".into(),
            (Msg::Internal, Fr) => "Une erreur interne est survenue. Votre message n’a pas été enregistré.".into(),
            (Msg::Internal, En) => "An internal error occurred. Your message was not saved.".into(),
            (Msg::Unauthorized, Fr) => "Connexion requise, ou session expirée.".into(),
            (Msg::Unauthorized, En) => "Sign-in required, or the session has expired.".into(),
            (Msg::InvalidCredentials, Fr) => "Adresse e-mail ou mot de passe incorrect.".into(),
            (Msg::InvalidCredentials, En) => "Wrong e-mail address or password.".into(),
            (Msg::Forbidden, Fr) => "Votre rôle ne permet pas cette action.".into(),
            (Msg::Forbidden, En) => "Your role does not allow this.".into(),
            (Msg::NotFound, Fr) => "Introuvable.".into(),
            (Msg::NotFound, En) => "Not found.".into(),
            (Msg::MethodNotAllowed, Fr) => "Méthode non prise en charge ici.".into(),
            (Msg::MethodNotAllowed, En) => "This method is not supported here.".into(),
            (Msg::HeadersTooLarge, Fr) => "Les en-têtes de la requête sont trop longs.".into(),
            (Msg::HeadersTooLarge, En) => "The request's headers are too large.".into(),
            (Msg::IdempotencyKeyReused, Fr) => {
                "Cette clé d’idempotence a déjà servi pour un autre message.".into()
            }
            (Msg::IdempotencyKeyReused, En) => {
                "This idempotency key was already used for another message.".into()
            }
            (Msg::IllegalTransition, Fr) => "Ce changement de statut n’est pas permis.".into(),
            (Msg::IllegalTransition, En) => "This status change is not allowed.".into(),
            (Msg::VersionConflict, Fr) => "Quelqu’un d’autre a modifié cette demande entre-temps : rechargez-la.".into(),
            (Msg::VersionConflict, En) => "Someone else changed this request meanwhile: reload it.".into(),
            (Msg::ThreadChanged, Fr) => "La conversation a changé depuis que vous l’avez lue : votre réponse n’est pas partie. Lisez les nouveaux messages, puis renvoyez-la.".into(),
            (Msg::ThreadChanged, En) => "The conversation changed since you read it: your reply was not sent. Read the new messages, then send it again.".into(),
            (Msg::NotInThread, Fr) => "Ce message ne fait pas partie de la conversation de cette demande.".into(),
            (Msg::NotInThread, En) => "This message is not part of this request's conversation.".into(),
            (Msg::PreconditionFailed, Fr) => "La version indiquée (If-Match) n’est plus la version actuelle.".into(),
            (Msg::PreconditionFailed, En) => "The version given in If-Match is no longer current.".into(),
            (Msg::TooManyRequests, Fr) => "Trop de tentatives : réessayez plus tard.".into(),
            (Msg::TooManyRequests, En) => "Too many attempts: try again later.".into(),
            (Msg::EmailTaken, Fr) => "Un compte utilise déjà cette adresse.".into(),
            (Msg::EmailTaken, En) => "An account already uses this address.".into(),
            (Msg::CannotDisableSelf, Fr) => "Vous ne pouvez pas désactiver votre propre compte : demandez-le à un autre administrateur.".into(),
            (Msg::CannotDisableSelf, En) => "You cannot disable your own account: ask another admin to do it.".into(),
            (Msg::AccountDisabled, Fr) => "Ce compte est désactivé : réactivez-le avant de l’inviter.".into(),
            (Msg::AccountDisabled, En) => "This account is disabled: enable it before inviting it.".into(),
            (Msg::AlreadyHandedOver, Fr) => "Cette demande a déjà été transmise au service commercial.".into(),
            (Msg::AlreadyHandedOver, En) => "This request was already handed over to the commercial desk.".into(),
            (Msg::NotEditorial, Fr) => "Seule une demande adressée à la rédaction peut être transmise au service commercial.".into(),
            (Msg::NotEditorial, En) => "Only a request sent to the newsroom can be handed over to the commercial desk.".into(),
            (Msg::PasswordTooShort, Fr) => "Le mot de passe compte au moins 12 caractères.".into(),
            (Msg::PasswordTooShort, En) => "A password has at least 12 characters.".into(),
            (Msg::PasswordTooLong, Fr) => "Le mot de passe compte au plus 128 caractères.".into(),
            (Msg::PasswordTooLong, En) => "A password has at most 128 characters.".into(),
            (Msg::AssigneeNotAllowed, Fr) => "Ce compte est inactif ou ne peut pas voir cette file.".into(),
            (Msg::AssigneeNotAllowed, En) => "This account is inactive or may not see this queue.".into(),
            (Msg::InvalidDate, Fr) => "Indiquez une date au format AAAA-MM-JJ.".into(),
            (Msg::InvalidDate, En) => "Give a date as YYYY-MM-DD.".into(),
            (Msg::OutcomeRequired, Fr) => "Un droit de réponse se clôt avec son issue : inséré (adresse et date) ou refusé (motif).".into(),
            (Msg::OutcomeRequired, En) => "A right of reply is closed with its outcome: inserted (address and date) or refused (grounds).".into(),
            (Msg::OutcomeNotForTopic, Fr) => "Cette issue ne convient pas à ce type de demande.".into(),
            (Msg::OutcomeNotForTopic, En) => "This outcome does not fit this kind of request.".into(),
            (Msg::OutcomeWithoutResolving, Fr) => "Une issue se donne avec le passage au statut « resolved ».".into(),
            (Msg::UnknownConsentVersion, Fr) => "Cette version du texte de consentement nous est inconnue : rechargez la page.".into(),
            (Msg::UnknownConsentVersion, En) => "This version of the consent text is unknown to us: reload the page.".into(),
            (Msg::PeriodBackwards, Fr) => "La date de début est après la date de fin.".into(),
            (Msg::PeriodBackwards, En) => "The start date is after the end date.".into(),
            (Msg::InvalidCharacter, Fr) => "Ce texte contient un caractère qui ne peut pas être publié.".into(),
            (Msg::InvalidCharacter, En) => "This text contains a character that cannot be published.".into(),
            (Msg::OutcomeWithoutResolving, En) => "An outcome is given with the move to status `resolved`.".into(),
            (Msg::UnknownVariable, Fr) => "Variable inconnue. Celles permises : {reference}, {reader_name}, {article_title}, {article_url}, {deadline}, {staff_name}.".into(),
            (Msg::UnknownVariable, En) => "Unknown variable. Those allowed: {reference}, {reader_name}, {article_title}, {article_url}, {deadline}, {staff_name}.".into(),
        }
    }
}

/// Labels shown on forms, pages and e-mails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    Name,
    Email,
    Phone,
    Organisation,
    Subject,
    Message,
    ArticleUrl,
    ArticleTitle,
    Topic,
    Reference,
    MarketingOptIn,
    ConsentBox,
    FixProblems,
    GoBack,
    SendAgain,
    CaptchaAgain,
    AckSubject,
    AckGreeting,
    AckBody,
    AckSignoff,
    /// The team notification's footer: answering from a mail client leaves the thread.
    ThreadBypass,
    ConsoleLink,
    /// Commercial e-mails' footer: the link that withdraws the marketing opt-in.
    OptOutFooter,
    OptOutTitle,
    OptOutQuestion,
    OptOutButton,
    OptOutDone,
}

pub fn label(l: Label, locale: Locale) -> &'static str {
    use Label::*;
    use Locale::*;
    match (l, locale) {
        (Name, Fr) => "Nom",
        (Name, En) => "Name",
        (Email, Fr) => "E-mail",
        (Email, En) => "E-mail",
        (Phone, Fr) => "Téléphone",
        (Phone, En) => "Phone",
        (Organisation, Fr) => "Organisation",
        (Organisation, En) => "Organisation",
        (Subject, Fr) => "Objet",
        (Subject, En) => "Subject",
        (Message, Fr) => "Message",
        (Message, En) => "Message",
        (ArticleUrl, Fr) => "Article",
        (ArticleUrl, En) => "Article",
        (ArticleTitle, Fr) => "Titre de l’article",
        (ArticleTitle, En) => "Article title",
        (Topic, Fr) => "Sujet",
        (Topic, En) => "Topic",
        (Reference, Fr) => "Référence",
        (Reference, En) => "Reference",
        (MarketingOptIn, Fr) => "Accepte les offres commerciales",
        (MarketingOptIn, En) => "Accepts marketing offers",
        (ConsentBox, Fr) => "Accord pour le traitement de votre demande",
        (ConsentBox, En) => "Consent to handling your request",
        (FixProblems, Fr) => "Votre message n’a pas pu être envoyé",
        (FixProblems, En) => "Your message could not be sent",
        (GoBack, Fr) => "Revenir à la page de l’article",
        (GoBack, En) => "Back to the article page",
        (SendAgain, Fr) => "Envoyer",
        (SendAgain, En) => "Send",
        (CaptchaAgain, Fr) => "Vérification (à refaire)",
        (CaptchaAgain, En) => "Verification (once more)",
        (AckSubject, Fr) => "Nous avons bien reçu votre message",
        (AckSubject, En) => "We have received your message",
        (AckGreeting, Fr) => "Bonjour",
        (AckGreeting, En) => "Hello",
        (AckBody, Fr) => "Nous avons bien reçu votre message et nous vous répondrons dès que possible. Pour toute question à son sujet, répondez à ce courriel ou rappelez la référence",
        (AckBody, En) => "We have received your message and will reply as soon as we can. To follow it up, reply to this e-mail or quote the reference",
        (AckSignoff, Fr) => "Cordialement,",
        (AckSignoff, En) => "Kind regards,",
        (ThreadBypass, Fr) => "Répondre depuis votre messagerie écrit au lecteur hors du fil : sa réponse et la vôtre n'apparaîtront pas dans la demande. Répondez depuis la console.",
        (ThreadBypass, En) => "Answering from your mail client writes to the reader outside the thread: neither your answer nor theirs will appear on the submission. Answer from the console.",
        (ConsoleLink, Fr) => "Dans la console",
        (ConsoleLink, En) => "In the console",
        (OptOutFooter, Fr) => "Pour ne plus recevoir nos offres commerciales",
        (OptOutFooter, En) => "To stop receiving our commercial offers",
        (OptOutTitle, Fr) => "Ne plus recevoir nos offres",
        (OptOutTitle, En) => "Stop receiving our offers",
        (OptOutQuestion, Fr) => "Vous ne souhaitez plus recevoir d’offres commerciales de notre part ? Confirmez ci-dessous : votre accord est retiré, et nous ne vous écrirons plus que pour répondre à votre demande.",
        (OptOutQuestion, En) => "You no longer wish to receive commercial offers from us? Confirm below: your consent is withdrawn, and we will write to you only to answer your request.",
        (OptOutButton, Fr) => "Ne plus recevoir d’offres",
        (OptOutButton, En) => "Stop the offers",
        (OptOutDone, Fr) => "C’est noté : vous ne recevrez plus d’offres commerciales de notre part.",
        (OptOutDone, En) => "Done: you will receive no more commercial offers from us.",
    }
}

pub fn topic_label(topic: Topic, locale: Locale) -> &'static str {
    use Locale::*;
    use Topic::*;
    match (topic, locale) {
        (Tip, Fr) => "Information / tuyau",
        (Tip, En) => "News tip",
        (Correction, Fr) => "Demande de correction",
        (Correction, En) => "Correction request",
        (RightOfReply, Fr) => "Droit de réponse",
        (RightOfReply, En) => "Right of reply",
        (Feedback, Fr) => "Remarque sur nos contenus",
        (Feedback, En) => "Feedback on our journalism",
        (Advertising, Fr) => "Publicité",
        (Advertising, En) => "Advertising",
        (Subscription, Fr) => "Abonnement",
        (Subscription, En) => "Subscription",
        (Partnership, Fr) => "Partenariat",
        (Partnership, En) => "Partnership",
        (Licensing, Fr) => "Droits et licences",
        (Licensing, En) => "Licensing and rights",
        (Other, Fr) => "Autre",
        (Other, En) => "Other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_both_languages_and_they_differ() {
        for msg in [
            Msg::Required,
            Msg::InvalidEmail,
            Msg::ConsentRequired,
            Msg::Received,
        ] {
            assert_ne!(msg.text(Locale::Fr), msg.text(Locale::En));
        }
        assert!(Msg::TooLong { max: 200 }.text(Locale::Fr).contains("200"));
    }
}
