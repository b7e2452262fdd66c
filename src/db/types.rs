//! The domain's closed sets as column types: stored as text (with a `CHECK` in the migrations),
//! read back typed, so no caller parses a row's text again. One generic impl serves PostgreSQL,
//! SQLite and the connection that dispatches between them.

use diesel::backend::Backend;
use diesel::deserialize::FromSqlRow;
use diesel::deserialize::{self, FromSql};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

use crate::domain::{
    Channel, Desk, EventKind, FormKind, Locale, MailPurpose, MailStatus, OutcomeKind, Priority,
    QueueName, Role, Status, Topic,
};

macro_rules! text_column {
    ($($ty:ident via $proxy:ident),+ $(,)?) => {$(
        /// Derives diesel's expression and row impls for the domain type it wraps.
        #[derive(AsExpression, FromSqlRow)]
        #[diesel(foreign_derive, sql_type = Text)]
        #[allow(dead_code)]
        struct $proxy($ty);

        impl<DB> ToSql<Text, DB> for $ty
        where
            DB: Backend,
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB> FromSql<Text, DB> for $ty
        where
            DB: Backend,
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                $ty::parse(&text)
                    .map_err(|e| format!("{}: {e}", stringify!($ty)).into())
            }
        }
    )+};
}

text_column!(
    Channel via ChannelText,
    FormKind via FormKindText,
    Topic via TopicText,
    Status via StatusText,
    Priority via PriorityText,
    Locale via LocaleText,
    Role via RoleText,
    Desk via DeskText,
    QueueName via QueueNameText,
    MailPurpose via MailPurposeText,
    MailStatus via MailStatusText,
    OutcomeKind via OutcomeKindText,
    EventKind via EventKindText,
);
