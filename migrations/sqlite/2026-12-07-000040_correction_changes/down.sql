ALTER TABLE corrections DROP COLUMN desk;
ALTER TABLE corrections DROP COLUMN updated_at;
