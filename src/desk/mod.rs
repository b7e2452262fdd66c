//! The use cases: what the desk does, whichever way a request comes in (the JSON API, the
//! console, mail, the command line, a scheduler). Nothing here knows HTTP.

pub mod accounts;
pub mod auth;
pub mod intake;
pub mod limits;
pub mod screening;
pub mod seed;
pub mod triage;
