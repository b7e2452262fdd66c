-- A published correction can be changed or unpublished by staff: when it last changed (the
-- feeds' `updated`), and the desk whose staff may do it, kept here since the request that led to
-- the correction may be purged. Corrections so far all came from the newsroom's form.
ALTER TABLE corrections ADD COLUMN updated_at TIMESTAMP;
UPDATE corrections SET updated_at = published_at;
ALTER TABLE corrections ALTER COLUMN updated_at SET NOT NULL;
ALTER TABLE corrections ADD COLUMN desk TEXT NOT NULL DEFAULT 'editorial'
    CHECK (desk IN ('editorial', 'commercial'));
ALTER TABLE corrections ALTER COLUMN desk DROP DEFAULT;
