#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod config;
pub mod db;
pub mod domain;
pub mod http;
pub mod intake;
pub mod mail;
pub mod startup;
pub mod telemetry;
