-- The reader's acknowledgement under its caps: the set-based form of `AckCaps::cap_met`. It is
-- written, with its log row, while both counts are under their caps; otherwise the event naming
-- the cap it met, the mailbox's first. Each count stops at its cap, so a busy domain costs at
-- most that many index entries. (Concurrent statements do not see each other's rows: posts for
-- one mailbox at the very same moment can pass a cap by their number.)
-- Values: 1 mailbox, 2 domain, 3 mailbox window's start, 4 mailbox cap, 5 domain window's
-- start, 6 domain cap, 7 time; 8 to 23 the e-mail; 24 to 30 the event of a skipped one (28 its
-- detail at the mailbox cap, 29 at the domain cap).
c AS (SELECT
    (SELECT count(*) FROM (SELECT 1 FROM ack_log
        WHERE mailbox = $1 AND created_at > $3 LIMIT $4) m) AS by_mailbox,
    (SELECT count(*) FROM (SELECT 1 FROM ack_log
        WHERE domain = $2 AND created_at > $5 LIMIT $6) d) AS by_domain),
a AS (INSERT INTO ack_log (mailbox, domain, created_at)
    SELECT $1, $2, $7 FROM c WHERE by_mailbox < $4 AND by_domain < $6),
oa AS (INSERT INTO outbox (id, submission_id, purpose, from_addr, recipients, reply_to, subject,
        body_text, body_html, message_id, in_reply_to, list_unsubscribe, status, attempts,
        next_attempt_at, created_at)
    SELECT $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23
    FROM c WHERE by_mailbox < $4 AND by_domain < $6),
sk AS (INSERT INTO events (id, submission_id, actor, kind, detail, created_at)
    SELECT $24, $25, $26, $27, CASE WHEN by_mailbox >= $4 THEN $28 ELSE $29 END, $30
    FROM c WHERE NOT (by_mailbox < $4 AND by_domain < $6))
