DROP INDEX messages_message_id;
DROP TABLE inbound_mail;
ALTER TABLE outbox DROP COLUMN held_reason;
ALTER TABLE outbox DROP COLUMN bounce_diagnostic;
ALTER TABLE outbox DROP COLUMN bounce_status;
DROP INDEX submissions_channel_created;
ALTER TABLE submissions DROP COLUMN channel;
