-- What is left of a submission once it is erased (or purged): enough to keep counts and the
-- audit trail true, nothing about the person.
CREATE TABLE tombstones (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL,
    form TEXT NOT NULL,
    queue TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    outcome_kind TEXT,
    reason TEXT NOT NULL CHECK (reason IN ('erasure', 'retention')),
    removed_at TIMESTAMP NOT NULL
);
CREATE INDEX tombstones_reference ON tombstones (reference);
