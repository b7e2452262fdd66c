-- Staff put a submission on legal hold (a dispute, say): the retention purge leaves it alone.
ALTER TABLE submissions ADD COLUMN legal_hold BOOLEAN NOT NULL DEFAULT FALSE;

-- What is left of a purged submission: enough to keep counts and the audit trail true, nothing
-- about the person (no name, address, text, IP hash or free-text note). Its id is the
-- submission's, so the events kept about it still name it.
CREATE TABLE tombstones (
    submission_id TEXT PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    form TEXT NOT NULL,
    topic TEXT NOT NULL,
    queue TEXT NOT NULL,
    desk TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    quarantined BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    first_response_at TIMESTAMP,
    resolved_at TIMESTAMP,
    deadline_at TIMESTAMP,
    outcome_kind TEXT,
    outcome TEXT,
    purged_at TIMESTAMP NOT NULL,
    rule TEXT NOT NULL
);
CREATE INDEX tombstones_created ON tombstones (created_at);
CREATE INDEX tombstones_resolved ON tombstones (resolved_at) WHERE outcome_kind IS NOT NULL;

-- The audit trail outlives the submission: its events stay (their details stripped of anything
-- personal by the purge), so they no longer go with it. SQLite cannot drop a constraint: the
-- table is rebuilt without it (nothing references events).
CREATE TABLE events_kept (
    id TEXT PRIMARY KEY,
    submission_id TEXT,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO events_kept (id, submission_id, actor, kind, detail, created_at)
    SELECT id, submission_id, actor, kind, detail, created_at FROM events;
DROP TABLE events;
ALTER TABLE events_kept RENAME TO events;
CREATE INDEX events_submission ON events (submission_id, created_at);

-- The purge finds its rows by status and age, outside legal holds.
CREATE INDEX submissions_retention ON submissions (status, desk, updated_at) WHERE NOT legal_hold;
CREATE INDEX outbox_dead ON outbox (created_at) WHERE status = 'dead';
