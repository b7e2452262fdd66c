-- One lease table for every job that one instance at a time runs: the duties scheduler, the
-- retention purge and each IMAP mailbox (named `imap:<mailbox>`). Timed by the database's clock.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    lease_until TIMESTAMP NOT NULL
);
INSERT INTO leases (name, owner, lease_until)
    SELECT name, owner, lease_until FROM scheduler_leases;
INSERT INTO leases (name, owner, lease_until)
    SELECT 'imap:' || mailbox, owner, lease_until FROM inbound_leases;
DROP TABLE scheduler_leases;
DROP TABLE inbound_leases;
