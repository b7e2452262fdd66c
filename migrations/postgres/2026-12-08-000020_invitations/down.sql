DELETE FROM outbox WHERE submission_id IS NULL OR purpose = 'invitation';
ALTER TABLE outbox DROP CONSTRAINT outbox_purpose_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_purpose_check CHECK (purpose IN (
    'team_notification', 'reader_ack', 'staff_reply', 'reply_notice', 'duty_reminder',
    'reader_outcome'));
ALTER TABLE outbox ALTER COLUMN submission_id SET NOT NULL;
DROP TABLE staff_invitations;
