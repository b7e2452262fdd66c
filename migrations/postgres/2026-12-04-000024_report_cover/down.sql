DROP INDEX submissions_right_of_reply;
CREATE INDEX submissions_right_of_reply ON submissions (created_at) WHERE topic = 'right_of_reply';
