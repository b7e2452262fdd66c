-- One instance at a time works an IMAP mailbox: it holds this lease, renewed while it works.
CREATE TABLE inbound_leases (
    mailbox TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    lease_until TIMESTAMP NOT NULL
);

-- The messages of a mailbox already worked (by UID within a UIDVALIDITY), recorded once they
-- are marked: flagged ones are not fetched again.
CREATE TABLE inbound_seen (
    mailbox TEXT NOT NULL,
    uid_validity BIGINT NOT NULL,
    uid BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (mailbox, uid_validity, uid)
);
