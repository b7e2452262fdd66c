//! Valid-by-construction types of the newsroom's vocabulary, routing and the reader-facing
//! message catalogue. Nothing here knows about HTTP or SQL.

#[macro_use]
mod choices;
pub mod duties;
mod events;
mod fields;
pub mod i18n;
pub mod listing;
mod reference;
mod routing;
pub mod saved_reply;
mod staff;
mod store;
mod submission;
pub mod xml;
mod zone;

pub use choices::{
    Channel, FormKind, Locale, MailPurpose, MailStatus, Priority, QueueName, Status, Topic,
    UnknownValue,
};
pub use duties::{Outcome, OutcomeKind, RefusalGrounds};
pub use events::EventKind;
pub use fields::{
    holds_bidi_controls, ArticleTitle, ArticleUrl, MessageBody, OneLine, Phone, ReaderEmail,
    FORM_FIELDS, TOKEN_FIELD,
};
pub use i18n::Msg;
pub use reference::Reference;
pub use routing::{Route, Router, RuleSpec};
pub use staff::{may_hear_of, Desk, Password, PasswordError, Role};
pub use store::{now, DbError};
pub use submission::{
    checkbox_value, FieldErrors, NewSubmission, RawNewsroom, RawSales, ARTICLE_TITLE_MAX, CHECKED,
    NAME_MAX, ORGANISATION_MAX, SUBJECT_MAX, UNCHECKED,
};
pub use zone::{Zone, DEFAULT_ZONE};

/// A rule broken by one field: a stable code for programs, a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub code: &'static str,
    pub msg: Msg,
}

impl FieldError {
    pub fn new(msg: Msg) -> Self {
        FieldError {
            code: msg.code(),
            msg,
        }
    }
}
