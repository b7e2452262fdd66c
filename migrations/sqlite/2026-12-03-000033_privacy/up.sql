-- When the reader withdrew the marketing opt-in (the signed link in commercial e-mails).
ALTER TABLE submissions ADD COLUMN marketing_withdrawn_at TIMESTAMP;
-- The one-click opt-out URL of a commercial e-mail (List-Unsubscribe, RFC 8058).
ALTER TABLE outbox ADD COLUMN list_unsubscribe TEXT;
-- Export and erasure find a reader's submissions by address, in any case.
CREATE INDEX submissions_email_folded ON submissions (lower(email));
