-- A published correction can be changed or unpublished by staff: when it last changed (the
-- feeds' `updated`), and the desk whose staff may do it, kept here since the request that led to
-- the correction may be purged. Corrections so far all came from the newsroom's form.
-- SQLite adds a NOT NULL column only with a constant default; every row then gets its own time.
ALTER TABLE corrections ADD COLUMN updated_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE corrections SET updated_at = published_at;
ALTER TABLE corrections ADD COLUMN desk TEXT NOT NULL DEFAULT 'editorial'
    CHECK (desk IN ('editorial', 'commercial'));
