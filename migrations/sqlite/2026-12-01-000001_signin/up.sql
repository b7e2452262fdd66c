-- Bumped by every change that ends an account's sessions (password, role, disabling): a
-- sign-in opens its session only if the version it checked is still the current one.
ALTER TABLE staff_users ADD COLUMN credentials_version INTEGER NOT NULL DEFAULT 0;

-- Failed sign-ins per (address, client), known account or not, so that a lock cannot tell them
-- apart and an attacker's failures lock only the attacker. `client` is the keyed hash of the
-- client's address (its /64 for IPv6), empty when unknown. Throttle state is short-lived: it
-- is started afresh.
DROP TABLE login_throttle;
CREATE TABLE login_throttle (
    email TEXT NOT NULL,
    client TEXT NOT NULL,
    failures INTEGER NOT NULL,
    locked_until TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (email, client)
);
CREATE INDEX login_throttle_updated ON login_throttle (updated_at);

-- The account-wide ceiling: one row per failed sign-in to an address from a client that has
-- not signed in to it lately, kept for an hour.
CREATE TABLE signin_failures (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX signin_failures_email ON signin_failures (email, created_at);
CREATE INDEX signin_failures_created ON signin_failures (created_at);

-- Clients (keyed hashes, as above) from which an account signed in, and when last: those are
-- spared the account-wide ceiling for 30 days.
CREATE TABLE staff_known_clients (
    user_id TEXT NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    client TEXT NOT NULL,
    last_signin_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, client)
);
CREATE INDEX staff_known_clients_last ON staff_known_clients (last_signin_at);
