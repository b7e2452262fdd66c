-- How a submission came in: a form post (`web`) or an e-mail to a queue's address (`email`).
ALTER TABLE submissions ADD COLUMN channel TEXT NOT NULL DEFAULT 'web'
    CHECK (channel IN ('web', 'email'));
CREATE INDEX submissions_channel_created ON submissions (channel, created_at DESC, id DESC);

-- What came back about an e-mail we sent: a delivery status notification's status (`5.1.1`)
-- and diagnostic; and why an e-mail was kept but not sent (the reader's address bounced).
ALTER TABLE outbox ADD COLUMN bounce_status TEXT;
ALTER TABLE outbox ADD COLUMN bounce_diagnostic TEXT;
ALTER TABLE outbox ADD COLUMN held_reason TEXT;

-- Every message that came in, whatever became of it: the raw message as received, its text,
-- the shown body (quotes stripped), its attachments (name, type, size, as JSON), and what was
-- done with it and why. `dedupe_key` is the Message-ID, or a digest of a message without one.
CREATE TABLE inbound_mail (
    id TEXT PRIMARY KEY,
    submission_id TEXT REFERENCES submissions (id) ON DELETE CASCADE,
    dedupe_key TEXT NOT NULL UNIQUE,
    message_id TEXT,
    sender TEXT NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    full_text TEXT NOT NULL,
    body TEXT NOT NULL,
    attachments TEXT NOT NULL,
    raw BLOB NOT NULL,
    outcome TEXT NOT NULL
        CHECK (outcome IN ('reply', 'new_submission', 'unmatched', 'ignored', 'bounce')),
    reason TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX inbound_mail_sender ON inbound_mail (sender, created_at);
CREATE INDEX inbound_mail_submission ON inbound_mail (submission_id);
CREATE INDEX inbound_mail_unmatched ON inbound_mail (created_at) WHERE submission_id IS NULL;
CREATE INDEX messages_message_id ON messages (message_id);
