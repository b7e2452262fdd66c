//! `[log]` and `[metrics]`: what the service tells its operators, and their checks.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: String,
    /// A `tracing` filter, e.g. `info,courrier=debug`.
    pub filter: String,
}

impl LogSettings {
    pub(super) fn check(&self, problems: &mut Vec<String>) {
        if !["text", "json"].contains(&self.format.as_str()) {
            problems.push("log.format: `text` or `json`".into());
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// The bearer token Prometheus sends to `GET /metrics`; without one the endpoint answers
    /// 404.
    pub token: Option<SecretString>,
}

impl MetricsSettings {
    pub(super) fn check(&self, problems: &mut Vec<String>) {
        if self
            .token
            .as_ref()
            .is_some_and(|t| t.expose_secret().chars().count() < 16)
        {
            problems.push("metrics.token: at least 16 characters".into());
        }
    }
}
