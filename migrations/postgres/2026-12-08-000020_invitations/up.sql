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
-- every e-mail, with no submission.
ALTER TABLE outbox ALTER COLUMN submission_id DROP NOT NULL;
ALTER TABLE outbox DROP CONSTRAINT outbox_purpose_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_purpose_check CHECK (purpose IN (
    'team_notification', 'reader_ack', 'staff_reply', 'reply_notice', 'duty_reminder',
    'reader_outcome', 'invitation')) NOT VALID;
ALTER TABLE outbox VALIDATE CONSTRAINT outbox_purpose_check;
