//! Delivery reports on the outbox's e-mails: the bounce recorded on the e-mail it is about, and
//! mail to a reader address that bounced permanently held instead of sent.

use diesel::prelude::*;

use super::schema::outbox;
use super::{DbConnection, DbError};
use crate::domain::{MailPurpose, MailStatus};

/// Why an e-mail is kept but not sent.
pub const HELD_BOUNCED: &str = "reader_address_bounced";

/// The e-mail a report names: its id, submission and recipients.
pub struct Reported {
    pub id: String,
    pub submission_id: String,
    pub recipients: String,
}

pub fn reported(conn: &mut DbConnection, message_id: &str) -> Result<Option<Reported>, DbError> {
    if !super::searchable(message_id) {
        return Ok(None);
    }
    Ok(outbox::table
        .filter(outbox::message_id.eq(message_id))
        .select((outbox::id, outbox::submission_id, outbox::recipients))
        .first::<(String, Option<String>, String)>(conn)
        .optional()?
        // A report on an e-mail about no submission (an invitation) is matched to nothing.
        .and_then(|(id, submission_id, recipients)| {
            Some(Reported {
                id,
                submission_id: submission_id?,
                recipients,
            })
        }))
}

/// Records the report on the e-mail; for a permanent failure, holds the submission's pending
/// mail to that address. Runs inside the caller's transaction.
pub fn record(
    conn: &mut DbConnection,
    outbox_id: &str,
    status: &str,
    diagnostic: Option<&str>,
    hold: Option<(&str, &str)>,
) -> Result<usize, DbError> {
    diesel::update(outbox::table.find(outbox_id))
        .set((
            outbox::bounce_status.eq(status),
            outbox::bounce_diagnostic.eq(diagnostic),
        ))
        .execute(conn)?;
    let Some((submission_id, address)) = hold else {
        return Ok(0);
    };
    let pending: Vec<(String, String)> = outbox::table
        .filter(outbox::submission_id.eq(submission_id))
        .filter(outbox::status.eq(MailStatus::Pending))
        .filter(outbox::purpose.eq_any(MailPurpose::TO_READER))
        .select((outbox::id, outbox::recipients))
        .load(conn)?;
    let ids: Vec<String> = pending
        .into_iter()
        .filter(|(_, to)| names(to, address))
        .map(|(id, _)| id)
        .collect();
    Ok(
        diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
            .set((
                outbox::status.eq(MailStatus::Dead),
                outbox::held_reason.eq(HELD_BOUNCED),
            ))
            .execute(conn)?,
    )
}

/// Whether mail to this address on this submission bounced permanently.
pub fn bounced_permanently(
    conn: &mut DbConnection,
    submission_id: &str,
    address: &str,
) -> Result<bool, DbError> {
    let bounced: Vec<String> = outbox::table
        .filter(outbox::submission_id.eq(submission_id))
        .filter(outbox::bounce_status.like("5%"))
        .select(outbox::recipients)
        .load(conn)?;
    Ok(bounced.iter().any(|to| names(to, address)))
}

/// Holds a just-written e-mail (inside the caller's transaction).
pub fn hold(conn: &mut DbConnection, outbox_id: &str) -> Result<(), DbError> {
    diesel::update(outbox::table.find(outbox_id))
        .set((
            outbox::status.eq(MailStatus::Dead),
            outbox::held_reason.eq(HELD_BOUNCED),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether a recipients header names this address (any case).
fn names(recipients: &str, address: &str) -> bool {
    let address = address.to_ascii_lowercase();
    recipients
        .to_ascii_lowercase()
        .split([',', '<', '>', ' '])
        .any(|part| part.trim() == address)
}

/// Keeps a reply whose e-mail is held (the address bounced for good), inside the caller's
/// transaction.
pub fn hold_reply(
    conn: &mut DbConnection,
    mail: &super::outbox::NewOutboxRow,
    reply: &super::messages::MessageRow,
    event: &super::events::NewEvent,
) -> Result<(), DbError> {
    use super::schema::{events, messages};
    diesel::insert_into(outbox::table)
        .values(mail)
        .execute(conn)?;
    hold(conn, &mail.id)?;
    diesel::insert_into(messages::table)
        .values(reply)
        .execute(conn)?;
    diesel::insert_into(events::table)
        .values(event)
        .execute(conn)?;
    super::messages::staff_replied(conn, reply)
}
