ALTER TABLE submissions DROP COLUMN legal_hold;
