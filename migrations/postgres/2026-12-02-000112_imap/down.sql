DROP TABLE inbound_seen;
DROP TABLE inbound_leases;
