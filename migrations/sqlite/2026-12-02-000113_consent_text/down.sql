ALTER TABLE submissions DROP COLUMN consent_text_sha256;
