-- One row per acknowledgement written, so that the caps on acknowledgements (per reader mailbox
-- and per address domain) hold across restarts and instances. Both are keyed hashes (with
-- privacy.ip_hash_key): the log never holds an address. Rows older than a day are swept.
CREATE TABLE ack_log (
    mailbox TEXT NOT NULL,
    domain TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ack_log_mailbox ON ack_log (mailbox, created_at);
CREATE INDEX ack_log_domain ON ack_log (domain, created_at);
CREATE INDEX ack_log_created ON ack_log (created_at);
