//! Layered settings: base file, environment file, an optional operator file, then `COURRIER__*`
//! variables. Unknown keys and invalid values stop start-up with a message naming the key.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};
use serde::{Deserialize, Deserializer};

const EMBEDDED: [(&str, &str); 4] = [
    ("base", include_str!("../../config/base.toml")),
    ("local", include_str!("../../config/local.toml")),
    ("test", include_str!("../../config/test.toml")),
    ("production", include_str!("../../config/production.toml")),
];

mod abuse;
mod auth;
mod check;
pub mod consent;
mod database;
mod duties;
mod http;
pub mod inbound;
mod log;
mod mail;
pub mod networks;
mod privacy;
pub mod retention;
mod routing;
mod scale;
mod site;
pub mod smtp;

pub use abuse::{AntispamSettings, CaptchaSettings, LimitSettings};
pub use auth::AuthSettings;
pub use database::{Backend, DatabaseSettings, SqliteSynchronous};
pub use duties::{DutySettings, RightOfReplySettings};
pub use http::HttpSettings;
pub use log::{LogSettings, MetricsSettings};
pub use mail::{MailSettings, MailTransportKind};
pub use privacy::PrivacySettings;
pub use retention::{Keep, RetentionSettings};
pub use routing::{QueueSettings, RoutingRuleSettings, RoutingSettings};
pub use scale::{GroupCommitSettings, HeavyReadSettings, LimitStore};
pub use site::SiteSettings;

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
