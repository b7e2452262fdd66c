//! One submission on PostgreSQL: a single statement of data-modifying CTEs, atomic on its own,
//! so one round trip instead of five (BEGIN, three INSERTs, COMMIT).

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{BigInt, Bool, Date, Integer, Nullable, Text, Timestamp};
use diesel::PgConnection;

use super::statement::Statement;
use super::{NewIntake, Stored};
use crate::db::acks::{Ack, DOMAIN_CAP, MAILBOX_CAP};
use crate::db::events::NewEvent;
use crate::db::idempotency::{IdempotencyRow, PG_KEY_CONSTRAINT};
use crate::db::outbox::NewOutboxRow;
use crate::db::submissions::SubmissionRow;
use crate::db::DbError;

/// The name PostgreSQL gives the unique constraint on `submissions.reference`.
const PG_REFERENCE_CONSTRAINT: &str = "submissions_reference_key";

/// The columns of the single statement's inserts, in the order of their values: the same as
/// the row structs' (checked against diesel's own insert in the tests below).
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

/// The acknowledgement under its caps, one CTE of the statement.
const ACK: &str = include_str!("ack.sql");

fn arity(columns: &str) -> usize {
    columns.split(',').count()
}

/// Writes the submission and all that comes with it; a clash is told by the constraint's name.
pub(super) fn insert(pg: &mut PgConnection, intake: &NewIntake) -> Result<Stored, DbError> {
    let statement = statement(intake);
    match diesel::connection::Connection::execute_returning_count(pg, &statement) {
        Ok(_) => Ok(Stored::Done),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info))
            if info.constraint_name() == Some(PG_KEY_CONSTRAINT) =>
        {
            Ok(Stored::KeyTaken)
        }
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info))
            if info.constraint_name() == Some(PG_REFERENCE_CONSTRAINT) =>
        {
            Ok(Stored::ReferenceTaken)
        }
        Err(e) => Err(e.into()),
    }
}

/// The statement: the submission, the team's e-mails, the idempotency key and the
/// acknowledgement each in a CTE, the event as the statement's own insert.
fn statement(intake: &NewIntake) -> Statement<'_> {
    let mut q = Statement::new()
        .sql(&format!(
            "WITH s AS (INSERT INTO submissions ({SUBMISSION_COLUMNS}) VALUES "
        ))
        .row(arity(SUBMISSION_COLUMNS));
    q = submission(q, &intake.submission).sql(")");
    if !intake.mails.is_empty() {
        q = q.sql(&format!(
            ", o AS (INSERT INTO outbox ({OUTBOX_COLUMNS}) VALUES "
        ));
        for (i, mail) in intake.mails.iter().enumerate() {
            if i > 0 {
                q = q.sql(", ");
            }
            q = outbox_mail(q.row(arity(OUTBOX_COLUMNS)), mail);
        }
        q = q.sql(")");
    }
    if let Some(key) = &intake.key {
        q = q
            .sql(&format!(
                ", k AS (INSERT INTO idempotency_keys ({KEY_COLUMNS}) VALUES "
            ))
            .row(arity(KEY_COLUMNS));
        q = idempotency_key(q, key).sql(")");
    }
    if let Some(ack) = &intake.ack {
        q = acknowledgement(q.sql(",\n").sql(ACK), ack);
    }
    q = q
        .sql(&format!(" INSERT INTO events ({EVENT_COLUMNS}) VALUES "))
        .row(arity(EVENT_COLUMNS));
    event(q, &intake.event)
}

/// Binds a submission's values, in `SUBMISSION_COLUMNS` order.
fn submission<'a>(q: Statement<'a>, s: &'a SubmissionRow) -> Statement<'a> {
    q.bind::<Text, _>(&s.id)
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
        .bind::<Nullable<Text>, _>(&s.consent_text_sha256)
}

/// Binds an outbox row's values, in `OUTBOX_COLUMNS` order.
fn outbox_mail<'a>(q: Statement<'a>, m: &'a NewOutboxRow) -> Statement<'a> {
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

/// Binds an idempotency key's values, in `KEY_COLUMNS` order.
fn idempotency_key<'a>(q: Statement<'a>, k: &'a IdempotencyRow) -> Statement<'a> {
    q.bind::<Text, _>(&k.form)
        .bind::<Text, _>(&k.key)
        .bind::<Text, _>(&k.body_hash)
        .bind::<Text, _>(&k.submission_id)
        .bind::<Timestamp, _>(k.created_at)
        .bind::<Timestamp, _>(k.expires_at)
}

/// Binds the acknowledgement's values, in the order `ack.sql` numbers them.
fn acknowledgement<'a>(q: Statement<'a>, a: &'a Ack) -> Statement<'a> {
    let q = q
        .bind::<Text, _>(&a.log.mailbox)
        .bind::<Text, _>(&a.log.domain)
        .bind::<Timestamp, _>(a.caps.mailbox_since)
        .bind::<BigInt, _>(a.caps.per_mailbox)
        .bind::<Timestamp, _>(a.caps.domain_since)
        .bind::<BigInt, _>(a.caps.per_domain)
        .bind::<Timestamp, _>(a.log.created_at);
    let k = &a.skipped;
    outbox_mail(q, &a.mail)
        .bind::<Text, _>(&k.id)
        .bind::<Nullable<Text>, _>(&k.submission_id)
        .bind::<Text, _>(&k.actor)
        .bind::<Text, _>(&k.kind)
        .bind::<Text, _>(MAILBOX_CAP)
        .bind::<Text, _>(DOMAIN_CAP)
        .bind::<Timestamp, _>(k.created_at)
}

/// Binds an event's values, in `EVENT_COLUMNS` order.
fn event<'a>(q: Statement<'a>, e: &'a NewEvent) -> Statement<'a> {
    q.bind::<Text, _>(&e.id)
        .bind::<Nullable<Text>, _>(&e.submission_id)
        .bind::<Text, _>(&e.actor)
        .bind::<Text, _>(&e.kind)
        .bind::<Text, _>(&e.detail)
        .bind::<Timestamp, _>(e.created_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::schema::{events, idempotency_keys, outbox, submissions};
    use crate::domain::{
        Channel, Desk, FormKind, Locale, MailPurpose, MailStatus, Priority, QueueName, Status,
        Topic,
    };
    use chrono::NaiveDateTime;
    use diesel::pg::Pg;

    /// The column list of diesel's own INSERT for a row, as "a, b, c".
    fn diesel_columns<Q: diesel::query_builder::QueryFragment<Pg>>(insert: Q) -> String {
        let sql = diesel::debug_query::<Pg, _>(&insert).to_string();
        let open = sql.find('(').unwrap_or(0);
        let close = sql.find(')').unwrap_or(0);
        sql[open + 1..close].replace('"', "")
    }

    /// The column list `ack.sql` gives after `INSERT INTO <table> (`.
    fn ack_sql_columns(table: &str) -> String {
        let start = ACK.find(&format!("INSERT INTO {table} (")).unwrap() + table.len() + 14;
        let end = start + ACK[start..].find(')').unwrap();
        ACK[start..end].to_string()
    }

    fn words(columns: &str) -> Vec<&str> {
        columns.split(',').map(str::trim).collect()
    }

    fn at() -> NaiveDateTime {
        chrono::DateTime::from_timestamp(0, 0)
            .unwrap_or_default()
            .naive_utc()
    }

    fn row() -> SubmissionRow {
        SubmissionRow {
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
        }
    }

    fn mail() -> NewOutboxRow {
        NewOutboxRow {
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
        }
    }

    fn event() -> NewEvent {
        NewEvent {
            id: "e".into(),
            submission_id: None,
            actor: "a".into(),
            kind: crate::domain::EventKind::Changed,
            detail: "{}".into(),
            created_at: at(),
        }
    }

    fn key() -> IdempotencyRow {
        IdempotencyRow {
            form: "newsroom".into(),
            key: "k".into(),
            body_hash: "h".into(),
            submission_id: "i".into(),
            created_at: at(),
            expires_at: at(),
        }
    }

    #[test]
    fn the_single_statement_insert_names_the_columns_diesel_writes_in_order() {
        let submission = diesel_columns(diesel::insert_into(submissions::table).values(&row()));
        assert_eq!(words(&submission), words(SUBMISSION_COLUMNS));
        let outbox = diesel_columns(diesel::insert_into(outbox::table).values(&mail()));
        assert_eq!(words(&outbox), words(OUTBOX_COLUMNS));
        assert_eq!(words(&ack_sql_columns("outbox")), words(OUTBOX_COLUMNS));
        let events = diesel_columns(diesel::insert_into(events::table).values(&event()));
        assert_eq!(words(&events), words(EVENT_COLUMNS));
        assert_eq!(words(&ack_sql_columns("events")), words(EVENT_COLUMNS));
        let keys = diesel_columns(diesel::insert_into(idempotency_keys::table).values(&key()));
        assert_eq!(words(&keys), words(KEY_COLUMNS));
    }

    #[test]
    fn every_placeholder_of_the_whole_statement_has_its_value() {
        use crate::db::acks::{AckCaps, AckRow};
        let intake = NewIntake {
            submission: row(),
            mails: vec![mail(), mail()],
            event: event(),
            key: Some(key()),
            ack: Some(Ack {
                mail: mail(),
                log: AckRow {
                    mailbox: "m".into(),
                    domain: "d".into(),
                    created_at: at(),
                },
                caps: AckCaps {
                    per_mailbox: 1,
                    mailbox_since: at(),
                    per_domain: 1,
                    domain_since: at(),
                },
                skipped: event(),
            }),
        };
        let sql = diesel::debug_query::<Pg, _>(&statement(&intake)).to_string();
        // 34 + 2 × 16 + 6 + 6 values, and the acknowledgement's 30, whose SQL names its keys
        // twice, its mailbox cap five times and its domain cap four (each naming is bound): 117.
        assert!(
            sql.contains("VALUES ($112, $113, $114, $115, $116, $117) -- binds"),
            "{sql}"
        );
    }
}
