CREATE TABLE staff_users (
    id TEXT PRIMARY KEY,
    -- Stored lower-cased, so the unique index is case-insensitive.
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'sales')),
    active BOOLEAN NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE staff_sessions (
    id TEXT PRIMARY KEY,
    -- SHA-256 of the bearer token; the token itself is never stored.
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX staff_sessions_user ON staff_sessions (user_id);

-- Failed sign-ins per e-mail address, known or not, so that lockout cannot tell them apart.
CREATE TABLE login_throttle (
    email TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    locked_until TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE notes (
    id TEXT PRIMARY KEY,
    submission_id TEXT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    author_id TEXT NOT NULL REFERENCES staff_users (id),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX notes_submission ON notes (submission_id, created_at);

-- The conversation with the reader: staff replies now, readers' e-mailed answers later.
CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    submission_id TEXT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    direction TEXT NOT NULL CHECK (direction IN ('outbound', 'inbound')),
    author_id TEXT REFERENCES staff_users (id),
    outbox_id TEXT REFERENCES outbox (id),
    message_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX messages_submission ON messages (submission_id, created_at);

CREATE INDEX submissions_queue_topic_created ON submissions (queue, topic, created_at DESC, id DESC);
CREATE INDEX submissions_queue_form_created ON submissions (queue, form, created_at DESC, id DESC);
