DROP TABLE corrections;
DROP TABLE scheduler_leases;
DROP TABLE duty_reminders;
ALTER TABLE submissions DROP COLUMN outcome;
ALTER TABLE submissions DROP COLUMN outcome_kind;
ALTER TABLE submissions DROP COLUMN article_published_at;
