//! The erasure's and the export's reach into mail outside the address's own submissions: what
//! it sent into another reader's thread or that matched nothing, the team's notices that quoted
//! it, unmatched mail that names it (a delivery report about it, say, raw bytes included), and
//! e-mails whose text or addresses name it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::lower;
use crate::db::inbound_mail::InboundSummary;
use crate::db::schema::{inbound_mail, messages, outbox};
use crate::db::{DbConnection, DbError};
use crate::domain::MailPurpose;

/// Mail this address sent that is on none of `own` (its own submissions): it matched nothing,
/// or it joined another reader's thread. Oldest first, without the raw bytes.
pub fn sent_elsewhere(
    conn: &mut DbConnection,
    folded: &str,
    own: &[String],
) -> Result<Vec<InboundSummary>, DbError> {
    Ok(inbound_mail::table
        .filter(lower(inbound_mail::sender).eq(folded))
        .filter(
            inbound_mail::submission_id
                .is_null()
                .or(inbound_mail::submission_id.ne_all(own.to_vec())),
        )
        .order((inbound_mail::created_at.asc(), inbound_mail::id.asc()))
        .select(InboundSummary::as_select())
        .load(conn)?)
}

/// What the erasure removed or emptied outside the address's own submissions.
#[derive(Debug, Default)]
pub struct Elsewhere {
    pub inbound_mail: usize,
    pub messages: usize,
    pub outbox: usize,
    pub cancelled: usize,
}

/// How many unmatched messages are read at a time to search their raw bytes.
const RAW_BATCH: i64 = 200;

/// Inside the erasure's transaction, after the address's own submissions are gone: the mail it
/// sent onto other submissions (none of `held`) goes, with the message it became on the thread,
/// and the team's notice that quoted it is emptied (cancelled if it had not left); then every
/// unmatched message that names the address anywhere, raw bytes included, goes.
pub(super) fn erase(
    conn: &mut DbConnection,
    folded: &str,
    pattern: &str,
    held: &[String],
) -> Result<Elsewhere, DbError> {
    let mut done = Elsewhere::default();
    let joined: Vec<(String, Option<String>, NaiveDateTime)> = inbound_mail::table
        .filter(lower(inbound_mail::sender).eq(folded))
        .filter(inbound_mail::submission_id.is_not_null())
        .filter(inbound_mail::submission_id.ne_all(held.to_vec()))
        .select((
            inbound_mail::id,
            inbound_mail::submission_id,
            inbound_mail::created_at,
        ))
        .load(conn)?;
    let mut notices = Vec::new();
    for (id, submission, at) in &joined {
        let Some(submission) = submission else {
            continue;
        };
        // The message on the thread is the inbound row under the same id.
        done.messages += diesel::delete(
            messages::table
                .filter(messages::id.eq(id))
                .filter(messages::submission_id.eq(submission)),
        )
        .execute(conn)?;
        // The notice is written in the same transaction as the message, stamped alike.
        notices.extend(
            outbox::table
                .filter(outbox::submission_id.eq(submission))
                .filter(outbox::purpose.eq(MailPurpose::ReplyNotice))
                .filter(outbox::created_at.eq(at))
                .select(outbox::id)
                .load::<String>(conn)?,
        );
    }
    let ids: Vec<String> = joined.into_iter().map(|(id, _, _)| id).collect();
    done.inbound_mail +=
        diesel::delete(inbound_mail::table.filter(inbound_mail::id.eq_any(&ids))).execute(conn)?;
    // E-mails that name the address anywhere: to it, from it, quoting it, bounced from it.
    notices.extend(
        outbox::table
            .filter(
                outbox::submission_id
                    .ne_all(held.to_vec())
                    .or(outbox::submission_id.is_null()),
            )
            .filter(
                lower(outbox::recipients)
                    .like(pattern)
                    .escape('\\')
                    .or(lower(outbox::subject).like(pattern).escape('\\'))
                    .or(lower(outbox::body_text).like(pattern).escape('\\'))
                    .or(lower(outbox::body_html).like(pattern).escape('\\'))
                    .or(outbox::reply_to.is_not_null().and(
                        lower(outbox::reply_to.assume_not_null())
                            .like(pattern)
                            .escape('\\'),
                    ))
                    .or(outbox::last_error.is_not_null().and(
                        lower(outbox::last_error.assume_not_null())
                            .like(pattern)
                            .escape('\\'),
                    ))
                    .or(outbox::bounce_diagnostic.is_not_null().and(
                        lower(outbox::bounce_diagnostic.assume_not_null())
                            .like(pattern)
                            .escape('\\'),
                    )),
            )
            .select(outbox::id)
            .load::<String>(conn)?,
    );
    notices.sort_unstable();
    notices.dedup();
    let (cancelled, emptied) = empty_emails(conn, &notices)?;
    done.cancelled += cancelled;
    done.outbox += emptied;
    // Unmatched mail naming the address: in its decoded text, or only in its raw bytes (the
    // recipient a delivery report names is often in a part the text leaves out).
    let mut unmatched: Vec<String> = inbound_mail::table
        .filter(inbound_mail::submission_id.is_null())
        .filter(
            lower(inbound_mail::sender)
                .like(pattern)
                .escape('\\')
                .or(lower(inbound_mail::recipients).like(pattern).escape('\\'))
                .or(lower(inbound_mail::subject).like(pattern).escape('\\'))
                .or(lower(inbound_mail::full_text).like(pattern).escape('\\'))
                .or(lower(inbound_mail::body).like(pattern).escape('\\')),
        )
        .select(inbound_mail::id)
        .load(conn)?;
    let mut after = String::new();
    loop {
        let batch: Vec<(String, Vec<u8>)> = inbound_mail::table
            .filter(inbound_mail::submission_id.is_null())
            .filter(inbound_mail::id.gt(&after))
            .order(inbound_mail::id.asc())
            .select((inbound_mail::id, inbound_mail::raw))
            .limit(RAW_BATCH)
            .load(conn)?;
        let Some((last, _)) = batch.last() else {
            break;
        };
        after = last.clone();
        unmatched.extend(
            batch
                .into_iter()
                .filter(|(_, raw)| names(raw, folded))
                .map(|(id, _)| id),
        );
    }
    unmatched.sort_unstable();
    unmatched.dedup();
    done.inbound_mail +=
        diesel::delete(inbound_mail::table.filter(inbound_mail::id.eq_any(&unmatched)))
            .execute(conn)?;
    Ok(done)
}

/// Empties these e-mails of everything personal, cancelling those still waiting to leave:
/// (cancelled, emptied).
fn empty_emails(conn: &mut DbConnection, ids: &[String]) -> Result<(usize, usize), DbError> {
    if ids.is_empty() {
        return Ok((0, 0));
    }
    let cancelled = diesel::update(
        outbox::table
            .filter(outbox::id.eq_any(ids))
            .filter(outbox::status.eq("pending")),
    )
    .set((
        outbox::status.eq("dead"),
        outbox::held_reason.eq("erased"),
        outbox::lease_owner.eq(None::<String>),
    ))
    .execute(conn)?;
    let emptied = diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
        .set((
            outbox::recipients.eq(""),
            outbox::reply_to.eq(None::<String>),
            outbox::subject.eq(""),
            outbox::body_text.eq(""),
            outbox::body_html.eq(""),
            outbox::last_error.eq(None::<String>),
            outbox::bounce_diagnostic.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok((cancelled, emptied))
}

/// Whether raw mail names the address, in any case.
fn names(raw: &[u8], folded: &str) -> bool {
    String::from_utf8_lossy(raw).to_lowercase().contains(folded)
}

#[cfg(test)]
mod tests {
    #[test]
    fn raw_mail_names_an_address_in_any_case() {
        let raw = b"Final-Recipient: rfc822; Jean.Dupont@Exemple.ORG\r\n";
        assert!(super::names(raw, "jean.dupont@exemple.org"));
        assert!(!super::names(raw, "jean.dupond@exemple.org"));
    }
}
