-- The rights of reply of a period, read from the index alone: it carries every column the
-- report counts them by (SQLite has no INCLUDE: they are trailing keys).
DROP INDEX submissions_right_of_reply;
CREATE INDEX submissions_right_of_reply ON submissions
    (created_at, desk, status, outcome_kind, resolved_at, deadline_at)
    WHERE topic = 'right_of_reply';
