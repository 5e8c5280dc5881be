//! Layered settings: `config/default.toml`, then `config/{environment}.toml`, then `APP__SECTION__KEY`
//! environment variables. Unknown keys are an error; `validate` (in `checks.rs`) refuses values out of
//! range everywhere and unsafe ones in production.

mod checks;
mod layering;
mod limits;
mod wiring;

pub use limits::open_file_limit;

pub use checks::{
    MAX_PRODUCTION_LEEWAY_SECS, MIN_PRODUCTION_BCRYPT_COST, MIN_PRODUCTION_SECRET_BYTES, MIN_SECRET_DISTINCT_BYTES,
};

use secrecy::SecretString;
use serde::Deserialize;
use std::ops::RangeInclusive;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Test,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Test => "test",
            Self::Production => "production",
        }
    }
}

impl FromStr for Environment {
    type Err = SettingsError;

    fn from_str(s: &str) -> Result<Self, SettingsError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "development" | "dev" => Ok(Self::Development),
            "test" => Ok(Self::Test),
            "production" | "prod" => Ok(Self::Production),
            other => Err(SettingsError::UnknownEnvironment(other.to_owned())),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub tokens: TokenSettings,
    pub password: PasswordSettings,
    pub sessions: SessionSettings,
    pub abuse: AbuseSettings,
    pub audit: AuditSettings,
    pub email: EmailSettings,
    pub revocations: RevocationSettings,
    pub cors: CorsSettings,
    pub metrics: MetricsSettings,
    pub log: LogSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub workers: usize,
    pub blocking_threads_per_worker: usize,
    pub shutdown_timeout_secs: u64,
    pub body_timeout_ms: u64,
    pub max_connections_per_worker: usize,
    pub listen_backlog: u32,
    #[serde(deserialize_with = "string_or_list")]
    pub trusted_proxies: Vec<String>,
    pub client_ip_header: String,
}

impl ServerSettings {
    pub const WORKERS: RangeInclusive<usize> = 0..=256;
    pub const BLOCKING_THREADS_PER_WORKER: RangeInclusive<usize> = 0..=1024;
    pub const SHUTDOWN_TIMEOUT_SECS: RangeInclusive<u64> = 0..=3600;
    pub const BODY_TIMEOUT_MS: RangeInclusive<u64> = 100..=600_000;
    pub const MAX_CONNECTIONS_PER_WORKER: RangeInclusive<usize> = 0..=100_000;
    pub const LISTEN_BACKLOG: RangeInclusive<u32> = 16..=65_535;
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsSettings {
    #[serde(deserialize_with = "string_or_list")]
    pub allowed_origins: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    pub enabled: bool,
    pub bind: String,
}

/// A list from a TOML array, or from a comma-separated environment variable.
fn string_or_list<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<String>),
        Text(String),
    }
    Ok(match Raw::deserialize(deserializer)? {
        Raw::List(items) => items,
        Raw::Text(text) => text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
    })
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: SecretString,
    /// The PostgreSQL password, apart from the URL (any characters; `_FILE` works); "" = the URL's own.
    pub password: SecretString,
    pub pool_max_size: u32,
    pub acquire_timeout_ms: u64,
    pub statement_timeout_ms: u64,
    pub sqlite_busy_timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    pub secret: SecretString,
    pub issuer: String,
    pub access_ttl_secs: u64,
    pub leeway_secs: u64,
    pub prune_interval_secs: u64,
    pub algorithm: SigningAlgorithm,
    pub key_encryption_key: SecretString,
    pub key_rotation_days: u64,
    pub key_publish_lead_secs: u64,
    pub key_refresh_secs: u64,
}

impl TokenSettings {
    pub const PRUNE_INTERVAL_SECS: RangeInclusive<u64> = 1..=7 * 24 * 3600;
    pub const KEY_ROTATION_DAYS: RangeInclusive<u64> = 0..=3650;
    pub const KEY_PUBLISH_LEAD_SECS: RangeInclusive<u64> = 0..=7 * 24 * 3600;
    pub const KEY_REFRESH_SECS: RangeInclusive<u64> = 1..=24 * 3600;
}

/// `tokens.algorithm`: how access tokens are signed; a value but these two is refused when the settings
/// are loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlgorithm {
    /// Ed25519 keys the service makes, keeps in the database (sealed) and publishes in its JWKS.
    EdDsa,
    /// `tokens.secret` signs and verifies; nothing is published.
    Hs256,
}

impl<'de> Deserialize<'de> for SigningAlgorithm {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match String::deserialize(deserializer)?.as_str() {
            "EdDSA" => Ok(Self::EdDsa),
            "HS256" => Ok(Self::Hs256),
            other => Err(serde::de::Error::custom(format!(
                "tokens.algorithm must be \"EdDSA\" or \"HS256\" (got {:?}; APP__TOKENS__ALGORITHM)",
                other.chars().take(32).collect::<String>()
            ))),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    pub refresh_ttl_secs: u64,
    pub max_lifetime_secs: u64,
    pub refresh_reuse_grace_secs: u64,
    pub max_per_user: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    pub retention_days: u32,
}

impl AuditSettings {
    pub const RETENTION_DAYS: RangeInclusive<u32> = 1..=3650;

    pub fn retention(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::days(i64::from(self.retention_days))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbuseSettings {
    pub window_secs: u64,
    pub login_pair_max_failures: u32,
    pub login_email_max_failures: u32,
    pub login_ip_max_failures: u32,
    pub register_per_ip_per_hour: u32,
    pub forgot_per_ip_per_hour: u32,
}

impl AbuseSettings {
    pub const MAX_FAILURES: RangeInclusive<u32> = 0..=1_000_000;
}

/// `[email]`: how the service sends email, and the account's links.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    pub transport: EmailTransport,
    /// `smtp://user:password@host:port` or `smtps://...` (`_FILE` works)
    pub smtp_url: SecretString,
    pub smtp_tls: SmtpTlsSetting,
    pub smtp_timeout_secs: u64,
    pub from: String,
    pub public_url: String,
    pub product_name: String,
    /// "" = the shipped templates
    pub templates_dir: String,
    pub require_verification: bool,
    pub verify_ttl_secs: u64,
    pub reset_ttl_secs: u64,
    pub change_ttl_secs: u64,
    pub max_per_address_per_hour: u32,
    pub max_attempt_hours: u64,
    pub retention_days: u32,
}

impl EmailSettings {
    pub const SMTP_TIMEOUT_SECS: RangeInclusive<u64> = 1..=300;
    pub const MAX_PER_ADDRESS_PER_HOUR: RangeInclusive<u32> = 0..=1000;
    pub const MAX_ATTEMPT_HOURS: RangeInclusive<u64> = 1..=720;
    pub const RETENTION_DAYS: RangeInclusive<u32> = 1..=3650;
}

/// `[revocations]`: the revocation feed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationSettings {
    pub max_subscribers: usize,
    pub poll_interval_ms: u64,
}

impl RevocationSettings {
    pub const MAX_SUBSCRIBERS: RangeInclusive<usize> = 0..=100_000;
    pub const POLL_INTERVAL_MS: RangeInclusive<u64> = 10..=10_000;
}

/// `email.transport`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmailTransport {
    /// Each email, with its link, is written to the log at INFO (development; production refuses it).
    Log,
    Smtp,
    /// No email: what needs one answers 503.
    None,
}

/// `email.smtp_tls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTlsSetting {
    /// smtps:// is TLS; smtp:// must upgrade with STARTTLS, except to a loopback host.
    Auto,
    /// smtp:// in the clear to any host.
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordSettings {
    pub min_length: usize,
    pub bcrypt_cost: u32,
    pub max_concurrent_hashes: usize,
    pub max_waiting_hashes: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub level: String,
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("APP_ENVIRONMENT must be development, test or production (got \"{0}\")")]
    UnknownEnvironment(String),
    #[error("cannot load settings from {dir}: {source}")]
    Load { dir: String, source: config::ConfigError },
    #[error("cannot read {variable}: {source}")]
    SecretFile { variable: String, source: std::io::Error },
    #[error("invalid settings:\n{}", .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<String>),
}
