#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod accounts;
pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod http;
pub mod instruments;
pub mod intake;
pub mod limits;
pub mod mail;
pub mod screening;
pub mod seed;
pub mod startup;
pub mod telemetry;
pub mod triage;
