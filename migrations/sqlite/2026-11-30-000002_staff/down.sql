DROP INDEX submissions_queue_form_created;
DROP INDEX submissions_queue_topic_created;
DROP TABLE messages;
DROP TABLE notes;
DROP TABLE login_throttle;
DROP TABLE staff_sessions;
DROP TABLE staff_users;
