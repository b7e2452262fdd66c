//! Layered settings: base file, environment file, an optional operator file, then `COURRIER__*`
//! variables. Unknown keys and invalid values stop start-up with a message naming the key.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

use crate::domain::{Desk, Locale, Router, RuleSpec};

const EMBEDDED: [(&str, &str); 4] = [
    ("base", include_str!("../../config/base.toml")),
    ("local", include_str!("../../config/local.toml")),
    ("test", include_str!("../../config/test.toml")),
    ("production", include_str!("../../config/production.toml")),
];

mod abuse;
mod check;
pub mod consent;
mod duties;
pub mod inbound;
pub mod networks;
pub mod retention;
mod scale;
pub mod smtp;

pub use abuse::{AntispamSettings, CaptchaSettings, LimitSettings};
pub use duties::{DutySettings, RightOfReplySettings};
pub use retention::{Keep, RetentionSettings};
pub use scale::{GroupCommitSettings, HeavyReadSettings, LimitStore};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub mail: MailSettings,
    pub queues: BTreeMap<String, QueueSettings>,
    pub routing: RoutingSettings,
    pub site: SiteSettings,
    pub privacy: PrivacySettings,
    pub auth: AuthSettings,
    pub log: LogSettings,
    #[serde(default)]
    pub metrics: MetricsSettings,
    pub antispam: AntispamSettings,
    pub limits: LimitSettings,
    pub duties: DutySettings,
    pub retention: RetentionSettings,
    #[serde(default)]
    pub inbound: inbound::InboundSettings,
    /// `local`, `test` or `production`, from `COURRIER_ENV`.
    #[serde(skip)]
    pub environment: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// A session ends after this long without use…
    pub idle_timeout_minutes: u32,
    /// …and after this long in any case.
    pub absolute_timeout_minutes: u32,
    /// Password hashes computed at once (each takes ~19 MiB and a core for ~15 ms).
    pub max_concurrent_hashes: usize,
    /// Failed sign-ins to one address from one client before that client is locked out of it…
    pub lockout_threshold: i32,
    /// …for this long, doubling with each further failure, up to the maximum.
    pub lockout_base_seconds: u32,
    pub lockout_max_seconds: u32,
    /// Failed sign-ins to one account per hour, all clients together, after which only the
    /// clients it signed in from in the last 30 days may still try.
    pub account_failures_per_hour: u32,
    /// Sign-in attempts allowed per client IP and minute.
    pub login_per_ip_per_minute: u32,
    /// Whether the console's cookies carry `Secure` (sent over HTTPS only); production
    /// refuses `false`.
    pub cookie_secure: bool,
}

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

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MailTransportKind {
    File,
    Smtp,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    /// Run the outbox worker in this instance (any number of instances may run it).
    pub run_worker: bool,
    pub transport: MailTransportKind,
    pub file_dir: PathBuf,
    pub smtp_url: Option<SecretString>,
    /// Sender of every message, e.g. `Courrier <courrier@example.org>`.
    pub from: String,
    /// Language of the team notifications.
    pub team_locale: Locale,
    /// Parallel senders (one SMTP connection each).
    pub concurrency: usize,
    /// Jobs claimed by one sender at a time.
    pub batch_size: u32,
    pub max_attempts: i32,
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    pub poll_interval_ms: u64,
    /// How long a claimed job is held; renewed while its batch is sent.
    pub lease_ms: u64,
    pub smtp_timeout_ms: u64,
    /// Signs the reply addresses (`<queue>+<token>@…`) that bring readers' answers back to
    /// their submission; production requires it.
    #[serde(default)]
    pub reply_key: Option<SecretString>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSettings {
    pub label: String,
    /// `editorial` or `commercial`: which staff may see the queue.
    pub desk: Desk,
    /// Sender of staff replies from this queue; `mail.from` when unset.
    pub address: Option<String>,
    /// Team addresses; a list, or one comma-separated string (handy in environment variables).
    #[serde(deserialize_with = "list_or_csv")]
    pub notify: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingSettings {
    pub newsroom_queue: String,
    pub sales_queue: String,
    pub right_of_reply_deadline_days: u32,
    #[serde(default)]
    pub rules: Vec<RoutingRuleSettings>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingRuleSettings {
    pub form: String,
    pub topic: Option<String>,
    pub queue: Option<String>,
    pub priority: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSettings {
    pub name: String,
    pub thank_you_url: String,
    /// Origins (`https://journal.example`) whose pages may post the forms from a browser script
    /// and frame Courrier's pages.
    #[serde(default, deserialize_with = "list_or_csv")]
    pub origins: Vec<String>,
    /// Version of the consent text the forms display; stored with each submission.
    pub consent_version: String,
    /// The consent text of `consent_version`, in each language (`consent.rs`).
    pub consent_text: consent::ConsentTexts,
    /// Every version's SHA-256 per language, the current one's included.
    pub consent_history: BTreeMap<String, consent::ConsentHashes>,
    /// Where readers reach Courrier itself (`https://courrier.journal.example`): the links it
    /// puts in e-mails (the marketing opt-out) start with it.
    #[serde(default = "default_public_url")]
    pub public_url: String,
}

fn default_public_url() -> String {
    "http://127.0.0.1:8080".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacySettings {
    /// Key of the HMAC that turns client IPs into pseudonymous hashes.
    pub ip_hash_key: SecretString,
    /// Whether a data export (`privacy export`) carries the text of internal notes, or only
    /// their author and date.
    #[serde(default = "yes")]
    pub export_note_text: bool,
    /// Days a marketing opt-out link stays valid after its e-mail was written.
    #[serde(default = "default_optout_link_days")]
    pub optout_link_days: u32,
}

fn yes() -> bool {
    true
}

fn default_optout_link_days() -> u32 {
    365
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// The bearer token Prometheus sends to `GET /metrics`; without one the endpoint answers
    /// 404.
    pub token: Option<SecretString>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: String,
    /// A `tracing` filter, e.g. `info,courrier=debug`.
    pub filter: String,
}

fn list_or_csv<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<String>),
        One(String),
    }
    Ok(match Raw::deserialize(d)? {
        Raw::List(v) => v,
        Raw::One(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("configuration: unknown environment `{0}` in COURRIER_ENV (expected local, test or production)")]
    UnknownEnvironment(String),
    #[error("configuration: {}", .0.join("; "))]
    Invalid(Vec<String>),
}

/// Where the layers come from; tests pass their own environment map instead of the process's.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    pub environment: Option<String>,
    pub extra_file: Option<PathBuf>,
    pub config_dir: Option<PathBuf>,
    pub env_vars: Option<HashMap<String, String>>,
}

impl Sources {
    pub fn from_process(extra_file: Option<PathBuf>) -> Self {
        Sources {
            environment: std::env::var("COURRIER_ENV").ok(),
            extra_file,
            config_dir: std::env::var_os("COURRIER_CONFIG_DIR").map(PathBuf::from),
            env_vars: None,
        }
    }
}

impl Settings {
    pub fn load(sources: &Sources) -> Result<Settings, ConfigError> {
        let env_name = sources.environment.as_deref().unwrap_or("local");
        if !["local", "test", "production"].contains(&env_name) {
            return Err(ConfigError::UnknownEnvironment(env_name.to_owned()));
        }
        let dir = sources
            .config_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("config"));
        let mut builder = Config::builder();
        for layer in ["base", env_name] {
            builder = builder.add_source(layer_source(&dir, layer));
        }
        if let Some(extra) = &sources.extra_file {
            builder = builder.add_source(File::from(extra.as_path()).required(true));
        }
        let env = Environment::with_prefix("COURRIER")
            .prefix_separator("__")
            .separator("__")
            .source(sources.env_vars.clone().map(|m| m.into_iter().collect()));
        builder = builder.add_source(env);
        let mut settings: Settings = builder.build()?.try_deserialize()?;
        settings.environment = env_name.to_owned();
        settings.validate()?;
        Ok(settings)
    }

    /// Checks what serde cannot, each section itself (`check.rs`), then what production needs:
    /// every problem at once, named by key; `Ok` when none.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        self.database.check(&mut problems);
        self.mail.check(&mut problems);
        self.auth.check(&mut problems);
        self.check_queues_and_routing(&mut problems);
        self.site.check(&mut problems);
        consent::check(
            &self.site.consent_version,
            &self.site.consent_text,
            &self.site.consent_history,
            &mut problems,
        );
        self.privacy.check(&mut problems);
        self.http.check(&mut problems);
        abuse::check(self, &mut problems);
        self.log.check(&mut problems);
        self.metrics.check(&mut problems);
        self.duties.check(&mut problems);
        self.check_retention(&mut problems);
        inbound::check(self, &mut problems);
        if self.environment == "production" {
            problems.extend(self.production_problems());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }
}

/// The IP-hash key shipped in `config/base.toml`; public, so never good enough in production.
const SHIPPED_IP_HASH_KEY: &str = "change-me-local-only-key";

impl Settings {
    /// Defaults that are fine on a laptop and wrong in production.
    fn production_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.privacy.ip_hash_key.expose_secret() == SHIPPED_IP_HASH_KEY {
            problems.push(
                "privacy.ip_hash_key: the shipped key is public; set your own \
                 (COURRIER__PRIVACY__IP_HASH_KEY)"
                    .into(),
            );
        }
        if !self.auth.cookie_secure {
            problems.push("auth.cookie_secure: must be true in production (HTTPS only)".into());
        }
        if self.site.public_url == default_public_url() {
            problems.push(
                "site.public_url: the address readers reach Courrier at (the links in e-mails \
                 start with it), not the shipped default"
                    .into(),
            );
        }
        let local = |addr: &str| addr.trim_end_matches('>').ends_with("@localhost");
        if local(&self.mail.from) {
            problems.push("mail.from: a real address, not @localhost".into());
        }
        if self
            .duties
            .right_of_reply
            .escalate_to
            .iter()
            .any(|a| local(a))
        {
            problems
                .push("duties.right_of_reply.escalate_to: real addresses, not @localhost".into());
        }
        for (name, queue) in &self.queues {
            if queue.notify.iter().any(|a| local(a)) {
                problems.push(format!(
                    "queues.{name}.notify: real addresses, not @localhost"
                ));
            }
        }
        problems
    }

    /// The router the configured rules describe.
    pub fn router(&self) -> Result<Router, String> {
        self.router_with(&self.routing.rules)
    }

    fn router_with(&self, rules: &[RoutingRuleSettings]) -> Result<Router, String> {
        Router::new(
            &self.routing.newsroom_queue,
            &self.routing.sales_queue,
            self.routing.right_of_reply_deadline_days,
            rules.iter().map(|r| RuleSpec {
                form: &r.form,
                topic: r.topic.as_deref(),
                queue: r.queue.as_deref(),
                priority: r.priority.as_deref(),
            }),
            |q| self.queues.contains_key(q),
        )
    }
}

/// A layer is read from the config directory when it exists there, else from the copy compiled
/// into the binary, so the binary runs with its defaults from any directory.
fn layer_source(dir: &Path, layer: &str) -> File<config::FileSourceString, FileFormat> {
    let path = dir.join(format!("{layer}.toml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        EMBEDDED
            .iter()
            .find(|(name, _)| *name == layer)
            .map(|(_, text)| (*text).to_owned())
            .unwrap_or_default()
    });
    File::from_str(&text, FileFormat::Toml)
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
