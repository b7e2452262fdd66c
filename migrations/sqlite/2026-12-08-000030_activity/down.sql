DROP TABLE submission_reads;
DROP INDEX submissions_activity;
DROP INDEX submissions_status_activity;
DROP INDEX submissions_assignee_activity;
DROP INDEX submissions_queue_activity;
DROP INDEX submissions_queue_status_activity;
ALTER TABLE submissions DROP COLUMN last_activity_at;
ALTER TABLE submissions DROP COLUMN last_reader_at;
ALTER TABLE submissions DROP COLUMN last_staff_at;
