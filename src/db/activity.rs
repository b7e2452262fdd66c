//! The triage list's clock: when each submission last saw activity, when its reader and its
//! staff last acted, and when each account last opened it. The use cases that do something
//! call `touch` inside their own transaction; opening a submission calls `seen`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{submission_reads, submissions};
use super::{DbConnection, DbError};

/// Who did something to a submission.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// The reader: the submission itself, or an e-mailed answer.
    Reader,
    /// A staff account (its id): a reply, a note, a status or assignee change. What an account
    /// does itself is never unread for it: it counts as seen at the same moment.
    Staff(&'a str),
}

/// Records activity on a submission at `at`. Runs in the caller's transaction; a submission
/// that is gone is left alone.
pub fn touch(
    conn: &mut DbConnection,
    submission_id: &str,
    by: Actor<'_>,
    at: NaiveDateTime,
) -> Result<(), DbError> {
    let row = submissions::table.find(submission_id);
    match by {
        Actor::Reader => {
            diesel::update(row)
                .set((
                    submissions::last_activity_at.eq(at),
                    submissions::last_reader_at.eq(at),
                ))
                .execute(conn)?;
        }
        Actor::Staff(user) => {
            let n = diesel::update(row)
                .set((
                    submissions::last_activity_at.eq(at),
                    submissions::last_staff_at.eq(at),
                ))
                .execute(conn)?;
            if n > 0 {
                seen(conn, user, submission_id, at)?;
            }
        }
    }
    Ok(())
}

#[derive(Insertable)]
#[diesel(table_name = submission_reads)]
struct ReadRow<'a> {
    user_id: &'a str,
    submission_id: &'a str,
    seen_at: NaiveDateTime,
}

/// The account opened the submission at `at`: one upsert.
pub fn seen(
    conn: &mut DbConnection,
    user: &str,
    submission_id: &str,
    at: NaiveDateTime,
) -> Result<(), DbError> {
    use diesel::upsert::excluded;
    let row = ReadRow {
        user_id: user,
        submission_id,
        seen_at: at,
    };
    let key = (submission_reads::user_id, submission_reads::submission_id);
    let later = submission_reads::seen_at.eq(excluded(submission_reads::seen_at));
    match conn {
        DbConnection::Pg(pg) => diesel::insert_into(submission_reads::table)
            .values(&row)
            .on_conflict(key)
            .do_update()
            .set(later)
            .execute(pg)?,
        DbConnection::Sqlite(sq) => diesel::insert_into(submission_reads::table)
            .values(&row)
            .on_conflict(key)
            .do_update()
            .set(later)
            .execute(sq)?,
    };
    Ok(())
}
