-- The desk report (`GET /v1/reports/desk`) reads a period of submissions by when they came in:
-- this index holds every column it counts, so PostgreSQL answers from the index alone.
CREATE INDEX submissions_report ON submissions (created_at)
    INCLUDE (desk, queue, topic, channel, status, first_response_at);
-- Rights of reply of a period, and the corrections closed in one.
CREATE INDEX submissions_right_of_reply ON submissions (created_at) WHERE topic = 'right_of_reply';
CREATE INDEX submissions_outcome_resolved ON submissions (resolved_at) WHERE outcome_kind IS NOT NULL;
-- Spam quarantined and released in a period: the audit events by kind and time.
CREATE INDEX events_kind_created ON events (kind, created_at);
