-- The submission's version a change event produced: a client that read version N is in
-- conflict only with the fields changed by the events of later versions (non-overlapping
-- changes merge). NULL for events that change no column, and for those written before.
ALTER TABLE events ADD COLUMN version INTEGER;
CREATE INDEX events_submission_version ON events (submission_id, version);
