-- The triage list: when each submission last saw activity (received, a reader's message, a
-- reply, a note, a status or assignee change), and when the reader and staff last acted, so
-- that "waiting, with a reader's answer since staff last acted" is one comparison. Kept in step
-- by the use cases that do those things, in their own transaction. (SQLite takes no expression as
-- a new column's default; every insert names these columns.)
ALTER TABLE submissions ADD COLUMN last_activity_at TIMESTAMP NOT NULL
    DEFAULT '1970-01-01 00:00:00';
ALTER TABLE submissions ADD COLUMN last_reader_at TIMESTAMP NOT NULL
    DEFAULT '1970-01-01 00:00:00';
ALTER TABLE submissions ADD COLUMN last_staff_at TIMESTAMP;

-- Backfilled from what is already stored: the reader's e-mailed answers, and staff's notes,
-- replies, changes and outcomes as the audit log holds them.
UPDATE submissions SET
    last_reader_at = COALESCE((SELECT max(m.created_at) FROM messages m
        WHERE m.submission_id = submissions.id AND m.direction = 'inbound' AND m.created_at > submissions.created_at),
        submissions.created_at),
    last_staff_at = (SELECT max(e.created_at) FROM events e WHERE e.submission_id = submissions.id
        AND e.kind IN ('changed', 'note_added', 'reply_sent', 'outcome'));
UPDATE submissions SET last_activity_at = max(last_reader_at, COALESCE(last_staff_at, last_reader_at));

-- Which submissions each account has opened, and when: a submission is unread for an account
-- when its last activity is later. One row per (account, submission), written at each opening.
CREATE TABLE submission_reads (
    user_id TEXT NOT NULL,
    submission_id TEXT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    seen_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, submission_id)
);
CREATE INDEX submission_reads_submission ON submission_reads (submission_id);

-- Every view of the inbox, by last activity, newest first; keyset on (last_activity_at, id).
CREATE INDEX submissions_activity ON submissions (last_activity_at DESC, id DESC);
CREATE INDEX submissions_status_activity ON submissions (status, last_activity_at DESC, id DESC);
CREATE INDEX submissions_assignee_activity ON submissions (assignee_id, last_activity_at DESC, id DESC);
CREATE INDEX submissions_queue_activity ON submissions (queue, last_activity_at DESC, id DESC);
CREATE INDEX submissions_queue_status_activity ON submissions (queue, status, last_activity_at DESC, id DESC);
