#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod config;
pub mod db;
pub mod desk;
pub mod domain;
pub mod http;
pub mod instruments;
pub mod mail;
pub mod telemetry;
