-- Newsroom duties. The date the article was published, which starts the reader's three months to
-- ask for a reply (LCEN art. 6-IV); the site fills it in, staff may set it.
ALTER TABLE submissions ADD COLUMN article_published_at DATE;
-- How a right of reply or a correction was closed: its kind (for counting) and its details (JSON).
ALTER TABLE submissions ADD COLUMN outcome_kind TEXT
    CHECK (outcome_kind IN ('inserted', 'refused', 'corrected'));
ALTER TABLE submissions ADD COLUMN outcome TEXT;

-- The right-of-reply escalations sent: one row per submission and kind, written in the
-- transaction that writes the e-mail, so that each goes out once whatever the instances.
CREATE TABLE duty_reminders (
    submission_id TEXT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('receipt', 'warning', 'breach')),
    sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (submission_id, kind)
);

-- Background jobs that one instance at a time runs hold a lease here, timed by the database's
-- clock.
CREATE TABLE scheduler_leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    lease_until TIMESTAMP NOT NULL
);

-- Corrections as published: owed to every reader, so kept (without the reader) when the request
-- that led to one is purged.
CREATE TABLE corrections (
    id TEXT PRIMARY KEY,
    submission_id TEXT REFERENCES submissions (id) ON DELETE SET NULL,
    article_url TEXT NOT NULL,
    text TEXT NOT NULL,
    public BOOLEAN NOT NULL,
    published_at TIMESTAMP NOT NULL
);
CREATE INDEX corrections_public ON corrections (published_at DESC, id DESC) WHERE public;
CREATE INDEX corrections_article ON corrections (article_url, published_at DESC, id DESC) WHERE public;
