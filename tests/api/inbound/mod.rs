//! Two-way mail: signed reply addresses on what the reader receives, and readers' mail coming
//! back in by the pipe (`mail ingest`), raw MIME over HTTP and IMAP.

mod reply_address;

use std::sync::Arc;

use courrier::config::Settings;
use secrecy::SecretString;

use crate::helpers::{spawn_app_with, Backend, TestApp, TestDb};

pub const REPLY_KEY: &str = "a reply key of the test deployment";
pub const INBOUND_TOKEN: &str = "inbound-token-of-the-tests-0123456789";

/// Settings with mail coming in: queue addresses, the reply key and the route's token.
pub fn inbound_settings(s: &mut Settings) {
    s.queues.get_mut("editorial").unwrap().address =
        Some("Rédaction <redaction@journal.example>".into());
    s.queues.get_mut("commercial").unwrap().address =
        Some("Service commercial <commercial@journal.example>".into());
    s.mail.reply_key = Some(SecretString::from(REPLY_KEY.to_owned()));
    s.inbound.token = Some(SecretString::from(INBOUND_TOKEN.to_owned()));
}

/// The app with mail coming in, sending to `smtp_port`.
pub async fn spawn_inbound_app(b: Backend, smtp_port: u16) -> TestApp {
    spawn_app_with(Arc::new(TestDb::new(b)), smtp_port, inbound_settings).await
}
