DROP TABLE idempotency_keys;
ALTER TABLE submissions DROP COLUMN flags;
ALTER TABLE submissions DROP COLUMN spam_reason;
