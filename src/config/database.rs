//! `[database]`: the URL, the pool and SQLite's settings, and their check; which engine a
//! URL names.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{GroupCommitSettings, HeavyReadSettings};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://path` or `postgres://…`; secret because it may carry a password.
    pub url: SecretString,
    pub pool_size: u32,
    pub acquire_timeout_ms: u64,
    pub sqlite_busy_timeout_ms: u64,
    pub sqlite_synchronous: SqliteSynchronous,
    /// Concurrent submissions sharing one transaction (see `config/base.toml`).
    #[serde(default)]
    pub group_commit: GroupCommitSettings,
    /// Reports and text searches, on connections of their own (see `config/base.toml`).
    #[serde(default)]
    pub heavy_reads: HeavyReadSettings,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    Normal,
    Full,
}

impl DatabaseSettings {
    pub(super) fn check(&self, problems: &mut Vec<String>) {
        if Backend::from_url(self.url.expose_secret()).is_none() {
            problems.push(
                "database.url: must start with sqlite:// or postgres:// (or postgresql://)".into(),
            );
        }
        if self.pool_size == 0 {
            problems.push("database.pool_size: must be at least 1".into());
        }
        self.group_commit.check(problems);
        self.heavy_reads.check(problems);
    }
}

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Backend> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else if url.starts_with("sqlite://") {
            Some(Backend::Sqlite)
        } else {
            None
        }
    }
}
