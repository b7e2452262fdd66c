//! The one integration test binary: the real server on port 0, a fresh database per test
//! (SQLite always, PostgreSQL when TEST_DATABASE_URL is set) and a real SMTP listener.

mod helpers;

mod abuse;
mod ack_limits;
mod browser;
mod cli;
mod composer;
mod config;
pub mod console;
mod contract;
mod delivery;
mod delivery_crash;
mod desks;
mod duties;
mod files;
mod form_again;
mod forms;
mod hardening_web;
mod hostile;
mod inbound;
mod invitations;
mod metrics;
mod privacy;
mod reader_pages;
mod resilience;
mod retention;
mod routing;
mod rules;
mod saved_replies;
mod scale;
mod schema;
mod shutdown;
mod signin;
mod staff;
mod triage_list;
mod web;
