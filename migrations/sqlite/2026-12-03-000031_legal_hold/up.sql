-- A submission staff hold for a dispute: erasure (and retention) leave it alone.
ALTER TABLE submissions ADD COLUMN legal_hold BOOLEAN NOT NULL DEFAULT false;
