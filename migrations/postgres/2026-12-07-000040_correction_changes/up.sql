-- A published correction can be changed or unpublished by staff: when it last changed (the
-- feeds' `updated`; NULL until then, so the previous release's rows and inserts need nothing),
-- and the desk whose staff may do it, kept here since the request that led to the correction may
-- be purged. Corrections so far all came from the newsroom's form, which is the editorial desk's.
ALTER TABLE corrections ADD COLUMN updated_at TIMESTAMP;
ALTER TABLE corrections ADD COLUMN desk TEXT NOT NULL DEFAULT 'editorial'
    CHECK (desk IN ('editorial', 'commercial'));
