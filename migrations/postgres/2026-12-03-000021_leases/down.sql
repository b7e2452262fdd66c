CREATE TABLE scheduler_leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    lease_until TIMESTAMP NOT NULL
);
CREATE TABLE inbound_leases (
    mailbox TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    lease_until TIMESTAMP NOT NULL
);
INSERT INTO inbound_leases (mailbox, owner, lease_until)
    SELECT substr(name, 6), owner, lease_until FROM leases WHERE name LIKE 'imap:%';
INSERT INTO scheduler_leases (name, owner, lease_until)
    SELECT name, owner, lease_until FROM leases WHERE name NOT LIKE 'imap:%';
DROP TABLE leases;
