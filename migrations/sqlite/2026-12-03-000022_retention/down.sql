DROP INDEX outbox_dead;
DROP INDEX submissions_retention;
CREATE TABLE events_linked (
    id TEXT PRIMARY KEY,
    submission_id TEXT REFERENCES submissions (id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO events_linked (id, submission_id, actor, kind, detail, created_at)
    SELECT id, submission_id, actor, kind, detail, created_at FROM events
    WHERE submission_id IS NULL OR submission_id IN (SELECT id FROM submissions);
DROP TABLE events;
ALTER TABLE events_linked RENAME TO events;
CREATE INDEX events_submission ON events (submission_id, created_at);
DROP TABLE tombstones;
ALTER TABLE submissions DROP COLUMN legal_hold;
