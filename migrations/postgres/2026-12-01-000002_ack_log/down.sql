DROP TABLE ack_log;
