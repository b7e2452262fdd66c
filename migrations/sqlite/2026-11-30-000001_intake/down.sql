DROP TABLE events;
DROP TABLE outbox;
DROP TABLE submissions;
