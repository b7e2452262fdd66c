DROP INDEX events_kind_created;
DROP INDEX submissions_outcome_resolved;
DROP INDEX submissions_right_of_reply;
DROP INDEX submissions_report;
