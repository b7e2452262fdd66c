//! `[http]`: the listener, its timeouts and trusted proxies, and their check.

use serde::Deserialize;

use super::list_or_csv;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    pub address: String,
    /// Worker threads of the HTTP server; 0 means one per core.
    pub workers: usize,
    /// Time allowed to receive a request body, in milliseconds, on every route.
    pub body_timeout_ms: u64,
    /// Time allowed to receive a connection's first request head, in milliseconds.
    pub header_timeout_ms: u64,
    /// Connections one worker holds at most; past it, new ones wait in the listen backlog.
    pub max_connections: usize,
    /// On SIGTERM or SIGINT, how long in-flight requests may take to finish.
    pub shutdown_grace_seconds: u64,
    /// On SIGTERM or SIGINT, how long to keep serving with readiness at 503 first, so a load
    /// balancer stops sending traffic before the listener closes.
    pub shutdown_drain_ms: u64,
    /// Peers (addresses or networks, `10.0.0.0/8`) whose `X-Forwarded-For` / `Forwarded` name
    /// the client; from any other peer the socket's address is the client's.
    #[serde(default, deserialize_with = "list_or_csv")]
    pub trusted_proxies: Vec<String>,
}

impl HttpSettings {
    /// The limits that keep slow or many clients from holding the server.
    pub(super) fn check(&self, problems: &mut Vec<String>) {
        for (key, value) in [
            ("http.body_timeout_ms", self.body_timeout_ms),
            ("http.header_timeout_ms", self.header_timeout_ms),
        ] {
            if value < 100 {
                problems.push(format!("{key}: at least 100"));
            }
        }
        if self.max_connections == 0 {
            problems.push("http.max_connections: at least 1".into());
        }
    }
}
