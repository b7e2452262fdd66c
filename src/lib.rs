//! Courrier's layers, lowest first: `domain` (valid-by-construction types, routing, messages) <
//! `config` (settings, each section checking itself) < `files` (what an attachment is, its
//! stored name, what it reveals and a copy without it, the virus scanner's verdict) < `db` (the
//! only module that names diesel: rows and their queries, one home per table) < `mail`
//! (rendering, transports, the outbox worker) < `desk` (the use cases, whichever way a request
//! comes in) < `http` (decode, call one use case, answer) < `app` (the process: the web server
//! and the background tasks) < `main` (the command line). A layer imports only the layers below
//! it, and `http` never names `db`; `instruments` and `telemetry` are tooling any layer may use,
//! above `config` only. `scripts/layers` checks this in CI.
#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod app;
pub mod config;
pub mod db;
pub mod desk;
pub mod domain;
pub mod files;
pub mod http;
pub mod instruments;
pub mod mail;
pub mod telemetry;
