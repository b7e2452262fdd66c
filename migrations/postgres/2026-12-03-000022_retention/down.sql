DROP INDEX outbox_dead;
DROP INDEX submissions_retention;
DELETE FROM events WHERE submission_id IS NOT NULL
    AND submission_id NOT IN (SELECT id FROM submissions);
ALTER TABLE events ADD CONSTRAINT events_submission_id_fkey
    FOREIGN KEY (submission_id) REFERENCES submissions (id) ON DELETE CASCADE;
DROP TABLE tombstones;
ALTER TABLE submissions DROP COLUMN legal_hold;
