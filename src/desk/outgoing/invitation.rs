//! The invitation e-mail, composed here like every other: to the account itself, about no
//! submission.

use chrono::NaiveDateTime;

use super::{mailbox, row, ComposeError, Composer};
use crate::db::outbox::NewOutboxRow;
use crate::domain::{Locale, MailPurpose};
use crate::mail;

/// How long an invitation's link works.
pub const INVITATION_HOURS: u32 = 72;

/// The account an invitation goes to.
#[derive(Debug, Clone, Copy)]
pub struct Invitee<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub locale: Option<Locale>,
}

impl Composer {
    /// The invitation to a new colleague (or one whose link is renewed): the single-use link
    /// to set their password, in their language (else the team's), from `mail.from`. About no
    /// submission, so no desk rule applies: the account itself is the recipient.
    pub fn invite(
        &self,
        to: &Invitee<'_>,
        token: &str,
        now: NaiveDateTime,
    ) -> Result<NewOutboxRow, ComposeError> {
        let settings = self.settings();
        let locale = to.locale.unwrap_or(settings.mail.team_locale);
        let link = format!(
            "{}/staff/invitation/{token}",
            settings.site.public_url.trim_end_matches('/')
        );
        let rendered = mail::invitation(
            locale,
            to.name,
            &link,
            INVITATION_HOURS,
            &settings.site.name,
        )?;
        let mut row = row(
            &self.0.sender,
            "",
            MailPurpose::Invitation,
            mailbox(to.name, to.email),
            rendered,
            now,
        );
        row.submission_id = None;
        Ok(row)
    }
}
