//! Throughput and several instances: group commit of intake, and limits shared through Redis.

mod batch;
mod group_commit;
mod shared_limits;
