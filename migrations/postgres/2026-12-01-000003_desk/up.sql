-- Each submission's desk follows from its form, in the database itself: a message sent to the
-- newsroom is editorial forever, whatever the queues' configuration says later (source
-- protection). Every staff query filters on it.
ALTER TABLE submissions ADD COLUMN desk TEXT
    GENERATED ALWAYS AS (CASE form WHEN 'newsroom' THEN 'editorial' ELSE 'commercial' END) STORED;
CREATE INDEX submissions_desk_created ON submissions (desk, created_at DESC, id DESC);

-- Editors hand a sales enquiry sent through the newsroom form over to the commercial desk: a new
-- commercial submission carrying only what the reader wrote. The pair is kept here; each
-- editorial submission is handed over once at most.
CREATE TABLE handovers (
    editorial_id TEXT PRIMARY KEY REFERENCES submissions (id) ON DELETE CASCADE,
    commercial_id TEXT NOT NULL UNIQUE REFERENCES submissions (id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
