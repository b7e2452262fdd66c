DROP INDEX submissions_email_folded;
ALTER TABLE outbox DROP COLUMN list_unsubscribe;
ALTER TABLE submissions DROP COLUMN marketing_withdrawn_at;
