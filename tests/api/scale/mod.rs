//! Throughput and several instances: group commit of intake, and limits shared through Redis.

mod ack_rule;
mod batch;
mod group_commit;
mod heavy_reads;
mod shared_limits;
