CREATE TABLE submissions (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    form TEXT NOT NULL CHECK (form IN ('newsroom', 'sales')),
    topic TEXT NOT NULL CHECK (topic IN ('tip', 'correction', 'right_of_reply', 'feedback',
        'advertising', 'subscription', 'partnership', 'licensing', 'other')),
    queue TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('new', 'open', 'waiting', 'resolved', 'spam')),
    priority TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT,
    organisation TEXT,
    subject TEXT,
    message TEXT NOT NULL,
    article_url TEXT,
    article_title TEXT,
    locale TEXT NOT NULL CHECK (locale IN ('fr', 'en')),
    consent BOOLEAN NOT NULL,
    consent_version TEXT NOT NULL,
    consent_at TIMESTAMP NOT NULL,
    marketing_opt_in BOOLEAN NOT NULL DEFAULT FALSE,
    client_ip_hash TEXT,
    user_agent TEXT,
    assignee_id TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    first_response_at TIMESTAMP,
    resolved_at TIMESTAMP,
    deadline_at TIMESTAMP
);
-- The staff list: newest first within a queue, optionally by status; keyset on (created_at, id).
CREATE INDEX submissions_queue_created ON submissions (queue, created_at DESC, id DESC);
CREATE INDEX submissions_queue_status_created ON submissions (queue, status, created_at DESC, id DESC);
CREATE INDEX submissions_created ON submissions (created_at DESC, id DESC);
CREATE INDEX submissions_assignee ON submissions (assignee_id, created_at DESC) WHERE assignee_id IS NOT NULL;
CREATE INDEX submissions_deadline ON submissions (deadline_at) WHERE deadline_at IS NOT NULL;
CREATE INDEX submissions_email ON submissions (email);

CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    submission_id TEXT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('team_notification', 'reader_ack', 'staff_reply')),
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
    sent_at TIMESTAMP
);
-- The worker's claim: due pending jobs in order.
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_submission ON outbox (submission_id);

CREATE TABLE events (
    id TEXT PRIMARY KEY,
    submission_id TEXT REFERENCES submissions (id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX events_submission ON events (submission_id, created_at);
