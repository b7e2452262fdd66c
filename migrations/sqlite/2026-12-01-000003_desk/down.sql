DROP TABLE handovers;
DROP INDEX submissions_desk_created;
ALTER TABLE submissions DROP COLUMN desk;
