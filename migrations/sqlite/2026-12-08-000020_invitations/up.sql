-- Invitations: an account opened without a password gets a single-use link to set one. Only the
-- link's SHA-256 is kept; one row per account, so a new invitation replaces the old link.
CREATE TABLE staff_invitations (
    user_id TEXT PRIMARY KEY REFERENCES staff_users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
-- The invitation e-mail is about an account, not a submission: it goes through the outbox like
-- every e-mail, with no submission. SQLite cannot drop a NOT NULL or change a CHECK in place:
-- the table is built again with the same columns, in the same order, its rows copied, and
-- swapped in (`messages.outbox_id` refers to it by name; foreign keys are checked after the
-- migrations, see db::migrate).
CREATE TABLE outbox_new (
    id TEXT PRIMARY KEY,
    submission_id TEXT REFERENCES submissions (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('team_notification', 'reader_ack', 'staff_reply', 'reply_notice', 'duty_reminder',
        'reader_outcome', 'invitation')),
    from_addr TEXT NOT NULL,
    recipients TEXT NOT NULL,
    reply_to TEXT,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    in_reply_to TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    bounce_status TEXT,
    bounce_diagnostic TEXT,
    held_reason TEXT,
    list_unsubscribe TEXT
);
INSERT INTO outbox_new (id, submission_id, purpose, from_addr, recipients, reply_to, subject,
    body_text, body_html, message_id, in_reply_to, status, attempts, next_attempt_at,
    lease_owner, lease_until, last_error, created_at, sent_at, bounce_status,
    bounce_diagnostic, held_reason, list_unsubscribe)
SELECT id, submission_id, purpose, from_addr, recipients, reply_to, subject,
    body_text, body_html, message_id, in_reply_to, status, attempts, next_attempt_at,
    lease_owner, lease_until, last_error, created_at, sent_at, bounce_status,
    bounce_diagnostic, held_reason, list_unsubscribe
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_submission ON outbox (submission_id);
CREATE INDEX outbox_dead ON outbox (created_at) WHERE status = 'dead';
