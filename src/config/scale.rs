//! The settings of throughput and of running several instances: group commit of intake, and
//! where the flood limits keep their counts.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Group commit (`database.group_commit`): concurrent submissions share one transaction. A
/// submission alone is written at once; one that finds others on their way waits for them at
/// most `max_wait_us`, or until `max_batch` are waiting.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GroupCommitSettings {
    pub enabled: bool,
    /// Submissions written in one transaction at most.
    pub max_batch: usize,
    /// How long a batch waits for submissions already on their way (microseconds).
    pub max_wait_us: u64,
    /// Batches being written at once (PostgreSQL; SQLite has one writer and always takes 1).
    /// While they are all under way, the next submissions gather into the next batch.
    pub writers: usize,
}

impl Default for GroupCommitSettings {
    fn default() -> Self {
        GroupCommitSettings {
            enabled: true,
            max_batch: 64,
            max_wait_us: 2000,
            writers: 2,
        }
    }
}

impl GroupCommitSettings {
    pub(super) fn check(&self, problems: &mut Vec<String>) {
        if self.max_batch == 0 || self.max_batch > 1000 {
            problems.push("database.group_commit.max_batch: between 1 and 1000".into());
        }
        if self.writers == 0 || self.writers > 64 {
            problems.push("database.group_commit.writers: between 1 and 64".into());
        }
        if self.max_wait_us > 1_000_000 {
            problems.push("database.group_commit.max_wait_us: at most 1000000 (1 s)".into());
        }
    }
}

/// Reads that scan whole periods or the whole table (the desk report, text search in the
/// submissions list): at most `connections` at once, on connections of their own, so they never
/// take the pool's connections from the intake and the rest; past that they answer 503 with
/// `Retry-After`. On PostgreSQL each statement stops after `statement_timeout_ms`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HeavyReadSettings {
    pub connections: u32,
    pub statement_timeout_ms: u64,
}

impl Default for HeavyReadSettings {
    fn default() -> Self {
        HeavyReadSettings {
            connections: 2,
            statement_timeout_ms: 30_000,
        }
    }
}

impl HeavyReadSettings {
    pub(super) fn check(&self, problems: &mut Vec<String>) {
        if self.connections == 0 || self.connections > 16 {
            problems.push("database.heavy_reads.connections: between 1 and 16".into());
        }
        if self.statement_timeout_ms == 0 {
            problems.push("database.heavy_reads.statement_timeout_ms: above 0".into());
        }
    }
}

/// Where the flood limits count: in this process (`memory`), or in Redis (`redis://…`), shared
/// by every instance.
#[derive(Debug, Clone, Default)]
pub enum LimitStore {
    #[default]
    Memory,
    /// The URL is secret: it may carry a password.
    Redis(SecretString),
}

impl<'de> Deserialize<'de> for LimitStore {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text == "memory" {
            Ok(LimitStore::Memory)
        } else if text.starts_with("redis://") || text.starts_with("rediss://") {
            Ok(LimitStore::Redis(SecretString::from(text)))
        } else {
            Err(serde::de::Error::custom(
                "limits.store: \"memory\" or a redis:// URL",
            ))
        }
    }
}

impl LimitStore {
    /// What `config check` shows: the kind, never the URL (it may hold a password).
    pub fn describe(&self) -> &'static str {
        match self {
            LimitStore::Memory => "memory",
            LimitStore::Redis(_) => "redis",
        }
    }

    pub fn redis_url(&self) -> Option<&str> {
        match self {
            LimitStore::Memory => None,
            LimitStore::Redis(url) => Some(url.expose_secret()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writers_are_bounded() {
        let problems = |writers| {
            let mut p = Vec::new();
            GroupCommitSettings {
                writers,
                ..GroupCommitSettings::default()
            }
            .check(&mut p);
            p
        };
        assert!(problems(2).is_empty(), "the default passes");
        assert!(problems(64).is_empty());
        for bad in [0, 65] {
            assert_eq!(
                problems(bad),
                vec!["database.group_commit.writers: between 1 and 64".to_owned()]
            );
        }
    }
}
