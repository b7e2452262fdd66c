-- Each e-mail says what it is: the reader's answer told to the team (`reply_notice`), a
-- deadline reminder (`duty_reminder`) and a right-of-reply outcome told to the reader
-- (`reader_outcome`) no longer borrow the team notification's or a staff reply's purpose.
-- Added NOT VALID and validated apart, so that the table is locked only for the swap.
ALTER TABLE outbox DROP CONSTRAINT outbox_purpose_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_purpose_check CHECK (purpose IN (
    'team_notification', 'reader_ack', 'staff_reply', 'reply_notice', 'duty_reminder',
    'reader_outcome')) NOT VALID;
ALTER TABLE outbox VALIDATE CONSTRAINT outbox_purpose_check;
