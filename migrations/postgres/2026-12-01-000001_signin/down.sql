DROP TABLE staff_known_clients;
DROP TABLE signin_failures;
DROP TABLE login_throttle;
CREATE TABLE login_throttle (
    email TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    locked_until TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
ALTER TABLE staff_users DROP COLUMN credentials_version;
