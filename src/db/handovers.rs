//! Rows that change desk or queue in bulk: the hand-over of an editorial submission to the
//! commercial desk (a new submission, linked in `handovers`), and moving a queue's rows.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::events::NewEvent;
use super::outbox::NewOutboxRow;
use super::schema::{events, handovers, outbox, submissions};
use super::submissions::SubmissionRow;
use super::{DbConnection, DbError};
use crate::domain::{Desk, QueueName};

/// The link between an editorial submission and the commercial one made from it.
#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = handovers)]
pub struct HandoverRow {
    pub editorial_id: String,
    pub commercial_id: String,
    pub actor: String,
    pub created_at: NaiveDateTime,
}

/// The commercial submission an editorial one was handed over as, if any.
pub fn handed_over_as(
    conn: &mut DbConnection,
    editorial_id: &str,
) -> Result<Option<String>, DbError> {
    Ok(handovers::table
        .find(editorial_id)
        .select(handovers::commercial_id)
        .first(conn)
        .optional()?)
}

/// Writes the new submission, its e-mails, the events of both and the link, inside the caller's
/// transaction. A second hand-over of the same submission fails on the link's primary key.
pub fn hand_over(
    conn: &mut DbConnection,
    copy: &SubmissionRow,
    mails: &[NewOutboxRow],
    audit: &[NewEvent],
    link: &HandoverRow,
) -> Result<(), DbError> {
    diesel::insert_into(submissions::table)
        .values(copy)
        .execute(conn)?;
    for mail in mails {
        diesel::insert_into(outbox::table)
            .values(mail)
            .execute(conn)?;
    }
    for event in audit {
        diesel::insert_into(events::table)
            .values(event)
            .execute(conn)?;
    }
    diesel::insert_into(handovers::table)
        .values(link)
        .execute(conn)?;
    Ok(())
}

/// How many submissions each (queue, desk) holds: what start-up compares with the queues'
/// configured desks.
pub fn by_queue_and_desk(conn: &mut DbConnection) -> Result<Vec<(QueueName, Desk, i64)>, DbError> {
    use submissions::dsl as s;
    Ok(s::submissions
        .group_by((s::queue, s::desk))
        .select((s::queue, s::desk, diesel::dsl::count_star()))
        .load(conn)?)
}

/// Moves the rows of one desk from a queue to another, each with an audit event, inside the
/// caller's transaction. Returns how many moved.
pub fn move_queue(
    conn: &mut DbConnection,
    from: &QueueName,
    to: &QueueName,
    desk: Desk,
    audit: impl Fn(&str) -> NewEvent,
    now: NaiveDateTime,
) -> Result<usize, DbError> {
    use submissions::dsl as s;
    let ids: Vec<String> = s::submissions
        .filter(s::queue.eq(from.clone()))
        .filter(s::desk.eq(desk))
        .select(s::id)
        .load(conn)?;
    diesel::update(s::submissions.filter(s::id.eq_any(&ids)))
        .set((
            s::queue.eq(to.clone()),
            s::version.eq(s::version + 1),
            s::updated_at.eq(now),
        ))
        .execute(conn)?;
    for id in &ids {
        diesel::insert_into(events::table)
            .values(&audit(id))
            .execute(conn)?;
    }
    Ok(ids.len())
}

/// How many submissions of other desks than `desk` sit in a queue.
pub fn others_in_queue(
    conn: &mut DbConnection,
    queue: &QueueName,
    desk: Desk,
) -> Result<i64, DbError> {
    use submissions::dsl as s;
    Ok(s::submissions
        .filter(s::queue.eq(queue.clone()))
        .filter(s::desk.ne(desk))
        .count()
        .get_result(conn)?)
}
