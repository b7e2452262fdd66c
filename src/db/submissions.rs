//! Storing a submission together with the e-mails and the audit event it causes.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::query_builder::QueryFragment;

use super::acks::{Ack, DOMAIN_CAP, MAILBOX_CAP};
use super::events::NewEvent;
use super::idempotency::IdempotencyRow;
use super::outbox::NewOutboxRow;
use super::schema::{ack_log, events, outbox, submissions};
use super::{write_tx, DbConnection, DbError};
use crate::domain::{
    Channel, Desk, FormKind, Locale, OutcomeKind, Priority, QueueName, Status, Topic,
};

/// Inserts a slice of rows: one multi-row statement on PostgreSQL. Multi-row inserts do not pass
/// through the multi-backend connection, and SQLite's own opens a transaction of its own, so
/// SQLite gets one statement per row (cheap inside the caller's transaction).
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            DbConnection::Pg(pg) => diesel::insert_into($table).values($rows).execute(pg)?,
            DbConnection::Sqlite(sq) => {
                let mut n = 0;
                for row in $rows {
                    n += diesel::insert_into($table).values(row).execute(sq)?;
                }
                n
            }
        }
    };
}
pub(super) use insert_rows;

#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = submissions)]
pub struct SubmissionRow {
    pub id: String,
    pub reference: String,
    pub form: FormKind,
    pub topic: Topic,
    pub queue: QueueName,
    pub status: Status,
    pub priority: Priority,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub organisation: Option<String>,
    pub subject: Option<String>,
    pub message: String,
    pub article_url: Option<String>,
    pub article_title: Option<String>,
    pub locale: Locale,
    pub consent: bool,
    pub consent_version: String,
    pub consent_at: NaiveDateTime,
    pub marketing_opt_in: bool,
    pub client_ip_hash: Option<String>,
    pub user_agent: Option<String>,
    pub assignee_id: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub first_response_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub deadline_at: Option<NaiveDateTime>,
    /// Why it was quarantined as suspected spam; `None` when it was not.
    pub spam_reason: Option<String>,
    /// What staff should know about the text, comma-separated (e.g. `bidi`).
    pub flags: String,
    /// Follows from the form, computed by the database (never written).
    #[diesel(skip_insertion)]
    pub desk: Desk,
    /// A form post (`web`) or an e-mail to a queue's address (`email`).
    pub channel: Channel,
    /// When the article the form was on was published (right of reply's three months).
    pub article_published_at: Option<NaiveDate>,
    /// How a right of reply or a correction was closed; set by staff, never at intake.
    #[diesel(skip_insertion)]
    pub outcome_kind: Option<OutcomeKind>,
    /// The outcome's details, as JSON.
    #[diesel(skip_insertion)]
    pub outcome: Option<String>,
    /// The SHA-256 of the consent text shown (version `consent_version`, the reader's language).
    pub consent_text_sha256: Option<String>,
    /// Staff hold it (a dispute, say): the retention purge and the erasure leave it alone.
    #[diesel(skip_insertion)]
    pub legal_hold: bool,
}

/// What became of a submission written with its e-mails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    Done,
    /// Another submission already holds this reference: nothing was written.
    ReferenceTaken,
    /// Another post under the same idempotency key was stored first: nothing was written.
    KeyTaken,
}

/// Why the SQLite transaction stopped: a clash it recognises (then rolled back), or a failure.
enum Abort {
    Clash(Stored),
    Db(diesel::result::Error),
    Store(DbError),
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Abort::Db(e)
    }
}

/// Writes the submission, its e-mails, its event and its idempotency key in one transaction:
/// all or nothing. A clash on the reference or the key is told apart by the constraint's name
/// (PostgreSQL) or by `ON CONFLICT DO NOTHING` and the rows it wrote (SQLite), never by the text
/// of an error message.
pub fn insert_with_outbox(
    conn: &mut DbConnection,
    submission: &SubmissionRow,
    mails: &[NewOutboxRow],
    event: &NewEvent,
    key: Option<&IdempotencyRow>,
    ack: Option<&Ack>,
) -> Result<Stored, DbError> {
    use diesel::result::{DatabaseErrorKind, Error as DieselError};
    if let DbConnection::Pg(pg) = conn {
        return match pg_insert_with_outbox(pg, submission, mails, event, key, ack) {
            Ok(_) => Ok(Stored::Done),
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info))
                if info.constraint_name() == Some(super::idempotency::PG_KEY_CONSTRAINT) =>
            {
                Ok(Stored::KeyTaken)
            }
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info))
                if info.constraint_name() == Some(PG_REFERENCE_CONSTRAINT) =>
            {
                Ok(Stored::ReferenceTaken)
            }
            Err(e) => Err(e.into()),
        };
    }
    let written = write_tx(conn, |conn| {
        let DbConnection::Sqlite(sq) = conn else {
            return Err(Abort::Db(DieselError::BrokenTransactionManager));
        };
        let inserted = diesel::insert_into(submissions::table)
            .values(submission)
            .on_conflict(submissions::reference)
            .do_nothing()
            .execute(sq)?;
        if inserted == 0 {
            return Err(Abort::Clash(Stored::ReferenceTaken));
        }
        if let Some(key) = key {
            if !super::idempotency::save(sq, key)? {
                return Err(Abort::Clash(Stored::KeyTaken));
            }
        }
        insert_rows!(conn, outbox::table, mails);
        diesel::insert_into(events::table)
            .values(event)
            .execute(conn)?;
        if let Some(ack) = ack {
            // Inside the write lock: the count and the log cannot interleave with another post.
            match super::acks::cap_reached(conn, &ack.log, &ack.caps).map_err(Abort::Store)? {
                None => {
                    diesel::insert_into(outbox::table)
                        .values(&ack.mail)
                        .execute(conn)?;
                    diesel::insert_into(ack_log::table)
                        .values(&ack.log)
                        .execute(conn)?;
                }
                Some(reason) => {
                    let skipped = NewEvent {
                        detail: reason.to_owned(),
                        ..ack.skipped.clone()
                    };
                    diesel::insert_into(events::table)
                        .values(&skipped)
                        .execute(conn)?;
                }
            }
        }
        Ok(())
    });
    match written {
        Ok(()) => Ok(Stored::Done),
        Err(Abort::Clash(clash)) => Ok(clash),
        Err(Abort::Db(e)) => Err(e.into()),
        Err(Abort::Store(e)) => Err(e),
    }
}

/// The name PostgreSQL gives the unique constraint on `submissions.reference`.
pub(super) const PG_REFERENCE_CONSTRAINT: &str = "submissions_reference_key";

/// The columns of the single-statement insert on PostgreSQL, in the order of its binds: the
/// same as the row structs' (checked against diesel's own insert in the tests below).
const SUBMISSION_COLUMNS: &str =
    "id, reference, form, topic, queue, status, priority, name, email, \
    phone, organisation, subject, message, article_url, article_title, locale, consent, \
    consent_version, consent_at, marketing_opt_in, client_ip_hash, user_agent, assignee_id, \
    version, created_at, updated_at, first_response_at, resolved_at, deadline_at, \
    spam_reason, flags, channel, article_published_at, consent_text_sha256";
const OUTBOX_COLUMNS: &str =
    "id, submission_id, purpose, from_addr, recipients, reply_to, subject, \
    body_text, body_html, message_id, in_reply_to, list_unsubscribe, status, attempts, \
    next_attempt_at, created_at";
const EVENT_COLUMNS: &str = "id, submission_id, actor, kind, detail, created_at";
const KEY_COLUMNS: &str = "form, key, body_hash, submission_id, created_at, expires_at";

fn arity(columns: &str) -> usize {
    columns.split(',').count()
}

/// PostgreSQL: the same rows in a single statement (data-modifying CTEs), atomic on its own, so
/// one round trip instead of five (BEGIN, three INSERTs, COMMIT).
fn pg_insert_with_outbox(
    pg: &mut diesel::PgConnection,
    s: &SubmissionRow,
    mails: &[NewOutboxRow],
    e: &NewEvent,
    key: Option<&IdempotencyRow>,
    ack: Option<&Ack>,
) -> QueryResult<usize> {
    use diesel::sql_types::{BigInt, Bool, Date, Integer, Nullable, Text, Timestamp};
    let mut n = 0;
    let mut tuple = |count: usize| {
        let params: Vec<String> = (0..count)
            .map(|_| {
                n += 1;
                format!("${n}")
            })
            .collect();
        format!("({})", params.join(", "))
    };
    let mut sql = format!(
        "WITH s AS (INSERT INTO submissions ({SUBMISSION_COLUMNS}) VALUES {})",
        tuple(arity(SUBMISSION_COLUMNS))
    );
    if !mails.is_empty() {
        let rows: Vec<String> = mails.iter().map(|_| tuple(arity(OUTBOX_COLUMNS))).collect();
        sql.push_str(&format!(
            ", o AS (INSERT INTO outbox ({OUTBOX_COLUMNS}) VALUES {})",
            rows.join(", ")
        ));
    }
    if key.is_some() {
        sql.push_str(&format!(
            ", k AS (INSERT INTO idempotency_keys ({KEY_COLUMNS}) VALUES {})",
            tuple(arity(KEY_COLUMNS))
        ));
    }
    if ack.is_some() {
        // The acknowledgement is written, with its log row, only under both caps; otherwise the
        // event saying which cap it met. Each count stops at its cap, so a busy domain costs
        // at most that many index entries. (Concurrent statements do not see each other's rows:
        // posts for one mailbox at the very same moment can pass a cap by their number.)
        let p: Vec<String> = tuple(7)
            .trim_matches(['(', ')'])
            .split(", ")
            .map(str::to_owned)
            .collect();
        let (mailbox, domain, mailbox_since, per_mailbox, domain_since, per_domain, at) =
            (&p[0], &p[1], &p[2], &p[3], &p[4], &p[5], &p[6]);
        let send = format!("by_mailbox < {per_mailbox} AND by_domain < {per_domain}");
        let mail = tuple(arity(OUTBOX_COLUMNS));
        let ev: Vec<String> = tuple(7)
            .trim_matches(['(', ')'])
            .split(", ")
            .map(str::to_owned)
            .collect();
        sql.push_str(&format!(
            ", c AS (SELECT \
            (SELECT count(*) FROM (SELECT 1 FROM ack_log WHERE mailbox = {mailbox} \
            AND created_at > {mailbox_since} LIMIT {per_mailbox}) m) AS by_mailbox, \
            (SELECT count(*) FROM (SELECT 1 FROM ack_log WHERE domain = {domain} \
            AND created_at > {domain_since} LIMIT {per_domain}) d) AS by_domain), \
            a AS (INSERT INTO ack_log (mailbox, domain, created_at) SELECT {mailbox}, {domain}, {at} FROM c WHERE {send}), \
            oa AS (INSERT INTO outbox ({OUTBOX_COLUMNS}) SELECT {} FROM c WHERE {send}), \
            sk AS (INSERT INTO events ({EVENT_COLUMNS}) SELECT {}, {}, {}, {}, \
            CASE WHEN by_mailbox >= {per_mailbox} THEN {} ELSE {} END, {} FROM c WHERE NOT ({send}))",
            mail.trim_matches(['(', ')']),
            ev[0], ev[1], ev[2], ev[3], ev[4], ev[5], ev[6],
        ));
    }
    sql.push_str(&format!(
        " INSERT INTO events ({EVENT_COLUMNS}) VALUES {}",
        tuple(arity(EVENT_COLUMNS))
    ));

    let mut q = Statement::new(sql)
        .bind::<Text, _>(&s.id)
        .bind::<Text, _>(&s.reference)
        .bind::<Text, _>(&s.form)
        .bind::<Text, _>(&s.topic)
        .bind::<Text, _>(&s.queue)
        .bind::<Text, _>(&s.status)
        .bind::<Text, _>(&s.priority)
        .bind::<Text, _>(&s.name)
        .bind::<Text, _>(&s.email)
        .bind::<Nullable<Text>, _>(&s.phone)
        .bind::<Nullable<Text>, _>(&s.organisation)
        .bind::<Nullable<Text>, _>(&s.subject)
        .bind::<Text, _>(&s.message)
        .bind::<Nullable<Text>, _>(&s.article_url)
        .bind::<Nullable<Text>, _>(&s.article_title)
        .bind::<Text, _>(&s.locale)
        .bind::<Bool, _>(s.consent)
        .bind::<Text, _>(&s.consent_version)
        .bind::<Timestamp, _>(s.consent_at)
        .bind::<Bool, _>(s.marketing_opt_in)
        .bind::<Nullable<Text>, _>(&s.client_ip_hash)
        .bind::<Nullable<Text>, _>(&s.user_agent)
        .bind::<Nullable<Text>, _>(&s.assignee_id)
        .bind::<Integer, _>(s.version)
        .bind::<Timestamp, _>(s.created_at)
        .bind::<Timestamp, _>(s.updated_at)
        .bind::<Nullable<Timestamp>, _>(s.first_response_at)
        .bind::<Nullable<Timestamp>, _>(s.resolved_at)
        .bind::<Nullable<Timestamp>, _>(s.deadline_at)
        .bind::<Nullable<Text>, _>(&s.spam_reason)
        .bind::<Text, _>(&s.flags)
        .bind::<Text, _>(&s.channel)
        .bind::<Nullable<Date>, _>(s.article_published_at)
        .bind::<Nullable<Text>, _>(&s.consent_text_sha256);
    for m in mails {
        q = bind_mail(q, m);
    }
    if let Some(k) = key {
        q = q
            .bind::<Text, _>(&k.form)
            .bind::<Text, _>(&k.key)
            .bind::<Text, _>(&k.body_hash)
            .bind::<Text, _>(&k.submission_id)
            .bind::<Timestamp, _>(k.created_at)
            .bind::<Timestamp, _>(k.expires_at);
    }
    if let Some(a) = ack {
        q = q
            .bind::<Text, _>(&a.log.mailbox)
            .bind::<Text, _>(&a.log.domain)
            .bind::<Timestamp, _>(a.caps.mailbox_since)
            .bind::<BigInt, _>(a.caps.per_mailbox)
            .bind::<Timestamp, _>(a.caps.domain_since)
            .bind::<BigInt, _>(a.caps.per_domain)
            .bind::<Timestamp, _>(a.log.created_at);
        q = bind_mail(q, &a.mail);
        let k = &a.skipped;
        q = q
            .bind::<Text, _>(&k.id)
            .bind::<Nullable<Text>, _>(&k.submission_id)
            .bind::<Text, _>(&k.actor)
            .bind::<Text, _>(&k.kind)
            .bind::<Text, _>(MAILBOX_CAP)
            .bind::<Text, _>(DOMAIN_CAP)
            .bind::<Timestamp, _>(k.created_at);
    }
    let q = q
        .bind::<Text, _>(&e.id)
        .bind::<Nullable<Text>, _>(&e.submission_id)
        .bind::<Text, _>(&e.actor)
        .bind::<Text, _>(&e.kind)
        .bind::<Text, _>(&e.detail)
        .bind::<Timestamp, _>(e.created_at);
    diesel::connection::Connection::execute_returning_count(pg, &q)
}

/// A statement as SQL text with numbered placeholders (`$1`, `$2`, … possibly repeated) and its
/// values in that numbering. Unlike `sql_query`, whose statements diesel never prepares twice, it
/// is safe to cache: each connection prepares the single-statement insert once (diesel's cache,
/// keyed by its text) instead of parsing and planning it at every submission.
struct Statement<'a> {
    sql: String,
    binds: Vec<Box<dyn QueryFragment<diesel::pg::Pg> + Send + 'a>>,
}

impl<'a> Statement<'a> {
    fn new(sql: String) -> Statement<'a> {
        Statement {
            sql,
            binds: Vec::new(),
        }
    }

    /// The next placeholder's value.
    fn bind<ST, V>(mut self, value: V) -> Statement<'a>
    where
        ST: diesel::sql_types::SqlType + diesel::expression::TypedExpressionType,
        V: diesel::expression::AsExpression<ST>,
        V::Expression: QueryFragment<diesel::pg::Pg> + Send + 'a,
    {
        self.binds.push(Box::new(value.as_expression()));
        self
    }
}

impl QueryFragment<diesel::pg::Pg> for Statement<'_> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        // Each `$n` of the text becomes the n-th value; a value named twice is bound twice.
        let mut rest = self.sql.as_str();
        while let Some(at) = rest.find('$') {
            out.push_sql(&rest[..at]);
            let digits = rest[at + 1..]
                .find(|c: char| !c.is_ascii_digit())
                .map_or(rest.len() - at - 1, |end| end);
            let n: usize = rest[at + 1..at + 1 + digits]
                .parse()
                .map_err(|_| diesel::result::Error::QueryBuilderError("bad placeholder".into()))?;
            let bind = n
                .checked_sub(1)
                .and_then(|i| self.binds.get(i))
                .ok_or_else(|| diesel::result::Error::QueryBuilderError("no such value".into()))?;
            bind.walk_ast(out.reborrow())?;
            rest = &rest[at + 1 + digits..];
        }
        out.push_sql(rest);
        Ok(())
    }
}

impl diesel::query_builder::QueryId for Statement<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

/// Binds an outbox row's values, in `OUTBOX_COLUMNS` order.
fn bind_mail<'a>(q: Statement<'a>, m: &'a NewOutboxRow) -> Statement<'a> {
    use diesel::sql_types::{Integer, Nullable, Text, Timestamp};
    q.bind::<Text, _>(&m.id)
        .bind::<Text, _>(&m.submission_id)
        .bind::<Text, _>(&m.purpose)
        .bind::<Text, _>(&m.from_addr)
        .bind::<Text, _>(&m.recipients)
        .bind::<Nullable<Text>, _>(&m.reply_to)
        .bind::<Text, _>(&m.subject)
        .bind::<Text, _>(&m.body_text)
        .bind::<Text, _>(&m.body_html)
        .bind::<Text, _>(&m.message_id)
        .bind::<Nullable<Text>, _>(&m.in_reply_to)
        .bind::<Nullable<Text>, _>(&m.list_unsubscribe)
        .bind::<Text, _>(&m.status)
        .bind::<Integer, _>(m.attempts)
        .bind::<Timestamp, _>(m.next_attempt_at)
        .bind::<Timestamp, _>(m.created_at)
}

/// A submission by its public reference.
pub fn by_reference(conn: &mut DbConnection, reference: &str) -> Result<SubmissionRow, DbError> {
    Ok(submissions::table
        .filter(submissions::reference.eq(reference))
        .select(SubmissionRow::as_select())
        .first(conn)?)
}

/// Inserts many rows at once (seeding); a row whose reference is taken is skipped. Returns how
/// many were written.
pub fn insert_many(conn: &mut DbConnection, rows: &[SubmissionRow]) -> Result<usize, DbError> {
    write_tx(conn, |conn| {
        Ok(match conn {
            DbConnection::Pg(pg) => diesel::insert_into(submissions::table)
                .values(rows)
                .on_conflict(submissions::reference)
                .do_nothing()
                .execute(pg)?,
            DbConnection::Sqlite(sq) => {
                let mut n = 0;
                for row in rows {
                    n += diesel::insert_into(submissions::table)
                        .values(row)
                        .on_conflict(submissions::reference)
                        .do_nothing()
                        .execute(sq)?;
                }
                n
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{MailPurpose, MailStatus};
    use diesel::pg::Pg;

    /// The column list of diesel's own INSERT for a row, as "a, b, c".
    fn diesel_columns<Q: diesel::query_builder::QueryFragment<Pg>>(insert: Q) -> String {
        let sql = diesel::debug_query::<Pg, _>(&insert).to_string();
        let open = sql.find('(').unwrap_or(0);
        let close = sql.find(')').unwrap_or(0);
        sql[open + 1..close].replace('"', "")
    }

    fn words(columns: &str) -> Vec<&str> {
        columns.split(',').map(str::trim).collect()
    }

    fn at() -> NaiveDateTime {
        chrono::DateTime::from_timestamp(0, 0)
            .unwrap_or_default()
            .naive_utc()
    }

    #[test]
    fn the_single_statement_insert_names_the_columns_diesel_writes_in_order() {
        let row = SubmissionRow {
            id: "i".into(),
            reference: "r".into(),
            form: FormKind::Newsroom,
            topic: Topic::Tip,
            queue: QueueName::parse("q").unwrap(),
            status: Status::New,
            priority: Priority::Normal,
            name: "n".into(),
            email: "e".into(),
            phone: None,
            organisation: None,
            subject: None,
            message: "m".into(),
            article_url: None,
            article_title: None,
            locale: Locale::Fr,
            consent: true,
            consent_version: "v".into(),
            consent_at: at(),
            marketing_opt_in: false,
            client_ip_hash: None,
            user_agent: None,
            assignee_id: None,
            version: 1,
            created_at: at(),
            updated_at: at(),
            first_response_at: None,
            resolved_at: None,
            deadline_at: None,
            spam_reason: None,
            flags: String::new(),
            desk: Desk::Editorial,
            channel: Channel::Web,
            article_published_at: None,
            outcome_kind: None,
            legal_hold: false,
            outcome: None,
            consent_text_sha256: None,
        };
        let submission = diesel_columns(diesel::insert_into(submissions::table).values(&row));
        assert_eq!(words(&submission), words(SUBMISSION_COLUMNS));
        let mail = NewOutboxRow {
            id: "o".into(),
            submission_id: "i".into(),
            purpose: MailPurpose::StaffReply,
            from_addr: "f".into(),
            recipients: "t".into(),
            reply_to: None,
            subject: "s".into(),
            body_text: "b".into(),
            body_html: "h".into(),
            message_id: "m".into(),
            in_reply_to: None,
            list_unsubscribe: None,
            status: MailStatus::Pending,
            attempts: 0,
            next_attempt_at: at(),
            created_at: at(),
        };
        let outbox = diesel_columns(diesel::insert_into(outbox::table).values(&mail));
        assert_eq!(words(&outbox), words(OUTBOX_COLUMNS));
        let event = NewEvent {
            id: "e".into(),
            submission_id: None,
            actor: "a".into(),
            kind: crate::domain::EventKind::Changed,
            detail: "{}".into(),
            created_at: at(),
        };
        let events = diesel_columns(diesel::insert_into(events::table).values(&event));
        assert_eq!(words(&events), words(EVENT_COLUMNS));
        let key = IdempotencyRow {
            form: "newsroom".into(),
            key: "k".into(),
            body_hash: "h".into(),
            submission_id: "i".into(),
            created_at: at(),
            expires_at: at(),
        };
        let keys = diesel_columns(
            diesel::insert_into(super::super::schema::idempotency_keys::table).values(&key),
        );
        assert_eq!(words(&keys), words(KEY_COLUMNS));
    }
}
