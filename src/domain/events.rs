//! What the audit log records: each kind of event, by name, and how staff read it in French and
//! English. Every event is written with one of these kinds and read back as one, so a kind is
//! named in one place.

use super::Locale;

text_enum!(
    /// What happened, as the audit log stores it.
    EventKind {
        SubmissionReceived => "submission_received",
        SubmissionQuarantined => "submission_quarantined",
        Changed => "changed",
        LegalHold => "legal_hold",
        NoteAdded => "note_added",
        ReplySent => "reply_sent",
        ReaderReplied => "reader_replied",
        ReopenedByReply => "reopened_by_reply",
        HandedOver => "handed_over",
        ReceivedByHandover => "received_by_handover",
        DeliveryBounced => "delivery_bounced",
        AckSkipped => "ack_skipped",
        Outcome => "outcome",
        MarketingWithdrawn => "marketing_withdrawn",
        PrivacyExport => "privacy_export",
        PrivacyErasure => "privacy_erasure",
        Purged => "purged",
        CorrectionChanged => "correction_changed",
        CorrectionUnpublished => "correction_unpublished",
        SigninLocked => "signin_locked",
        UserCreated => "user_created",
        UserChanged => "user_changed",
        UserUnlocked => "user_unlocked",
        InvitationSent => "invitation_sent",
        PasswordSet => "password_set",
        SavedReplyCreated => "saved_reply_created",
        SavedReplyChanged => "saved_reply_changed",
        SavedReplyDeleted => "saved_reply_deleted",
    }
);

impl EventKind {
    /// The kinds whose details a retention purge keeps: none holds the reader's words or
    /// address.
    pub const KEPT_BY_PURGE: &'static [EventKind] = &[
        EventKind::SubmissionReceived,
        EventKind::SubmissionQuarantined,
        EventKind::Changed,
        EventKind::LegalHold,
        EventKind::NoteAdded,
        EventKind::ReplySent,
        EventKind::ReaderReplied,
        EventKind::ReopenedByReply,
        EventKind::HandedOver,
        EventKind::ReceivedByHandover,
        EventKind::DeliveryBounced,
        EventKind::AckSkipped,
    ];

    /// How a person reads it in a submission's history.
    pub fn label(self, locale: Locale) -> &'static str {
        let (fr, en) = match self {
            EventKind::SubmissionReceived => ("Demande reçue", "Submission received"),
            EventKind::SubmissionQuarantined => (
                "Mise en quarantaine (spam présumé)",
                "Quarantined as suspected spam",
            ),
            EventKind::Changed => ("Modification", "Change"),
            EventKind::LegalHold => ("Conservation légale", "Legal hold"),
            EventKind::NoteAdded => ("Note interne ajoutée", "Internal note added"),
            EventKind::ReplySent => ("Réponse envoyée", "Reply sent"),
            EventKind::ReaderReplied => ("Réponse du lecteur", "Reader's answer"),
            EventKind::ReopenedByReply => (
                "Rouverte par la réponse du lecteur",
                "Reopened by the reader's answer",
            ),
            EventKind::HandedOver => ("Transmise au service commercial", "Handed over to sales"),
            EventKind::ReceivedByHandover => {
                ("Reçue de la rédaction", "Received from the newsroom")
            }
            EventKind::DeliveryBounced => ("E-mail non distribué", "E-mail bounced"),
            EventKind::AckSkipped => ("Accusé de réception non envoyé", "Acknowledgement not sent"),
            EventKind::Outcome => ("Issue enregistrée", "Outcome recorded"),
            EventKind::MarketingWithdrawn => (
                "Consentement commercial retiré",
                "Marketing consent withdrawn",
            ),
            EventKind::PrivacyExport => ("Données exportées", "Data exported"),
            EventKind::PrivacyErasure => ("Données effacées", "Data erased"),
            EventKind::Purged => ("Purgée (durée de conservation)", "Purged (retention)"),
            EventKind::CorrectionChanged => ("Rectificatif modifié", "Correction changed"),
            EventKind::CorrectionUnpublished => ("Rectificatif dépublié", "Correction unpublished"),
            EventKind::SigninLocked => ("Connexion bloquée", "Sign-in locked"),
            EventKind::UserCreated => ("Compte créé", "Account created"),
            EventKind::UserChanged => ("Compte modifié", "Account changed"),
            EventKind::UserUnlocked => ("Compte débloqué", "Account unlocked"),
            EventKind::InvitationSent => ("Invitation envoyée", "Invitation sent"),
            EventKind::PasswordSet => (
                "Mot de passe choisi par l’invitation",
                "Password set through the invitation",
            ),
            EventKind::SavedReplyCreated => ("Réponse type créée", "Saved reply created"),
            EventKind::SavedReplyChanged => ("Réponse type modifiée", "Saved reply changed"),
            EventKind::SavedReplyDeleted => ("Réponse type supprimée", "Saved reply deleted"),
        };
        match locale {
            Locale::Fr => fr,
            Locale::En => en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_as_itself_and_has_a_label_in_each_language() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Ok(*kind));
            assert!(!kind.label(Locale::Fr).is_empty());
            assert_ne!(kind.label(Locale::Fr), kind.as_str());
            assert_ne!(kind.label(Locale::En), kind.as_str());
        }
        assert!(EventKind::parse("reader replied").is_err());
    }
}
