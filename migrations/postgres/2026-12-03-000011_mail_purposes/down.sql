UPDATE outbox SET purpose = 'team_notification' WHERE purpose IN ('reply_notice', 'duty_reminder');
UPDATE outbox SET purpose = 'staff_reply' WHERE purpose = 'reader_outcome';
ALTER TABLE outbox DROP CONSTRAINT outbox_purpose_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_purpose_check
    CHECK (purpose IN ('team_notification', 'reader_ack', 'staff_reply'));
