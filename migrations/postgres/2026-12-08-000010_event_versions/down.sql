DROP INDEX events_submission_version;
ALTER TABLE events DROP COLUMN version;
