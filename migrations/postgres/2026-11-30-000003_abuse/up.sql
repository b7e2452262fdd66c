-- Quarantine: why a submission was judged suspect (NULL when it was not), and what staff should
-- know about its text (e.g. `bidi`: it holds bidirectional control characters).
ALTER TABLE submissions ADD COLUMN spam_reason TEXT;
ALTER TABLE submissions ADD COLUMN flags TEXT NOT NULL DEFAULT '';

-- Idempotency keys of the public forms: the key, per form, answers with the same submission
-- for as long as it lives; a different body under the same key is refused.
CREATE TABLE idempotency_keys (
    form TEXT NOT NULL,
    key TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    submission_id TEXT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (form, key)
);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);
