//! Layered settings: `config/default.toml`, then `config/{environment}.toml`, then `APP__SECTION__KEY`
//! environment variables. Unknown keys are an error; `validate` (in `checks.rs`) refuses values out of
//! range everywhere and unsafe ones in production.

mod checks;

pub use checks::{
    MAX_PRODUCTION_LEEWAY_SECS, MIN_PRODUCTION_BCRYPT_COST, MIN_PRODUCTION_SECRET_BYTES, MIN_SECRET_DISTINCT_BYTES,
};

use auth_persistence::{DatabaseUrl, PoolSettings};
use config::{Config, Environment as EnvSource, File, Map};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
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

    /// Each connection holds its socket and a duplicate of it (to see whether the client is still there).
    const DESCRIPTORS_PER_CONNECTION: u64 = 2;

    /// How many connections each worker may hold open: `max_connections_per_worker`, or with 0 as many
    /// as the open-file limit allows once the pool, database files, listeners and logs have theirs
    /// (capped at actix's default of 25,000). A flood then waits in the listen queue instead of
    /// running the process out of descriptors, which stops the listener from accepting anything.
    pub fn connections_per_worker(&self, pool_max_size: u32) -> Result<usize, String> {
        // `serve` raises the soft limit to the hard one before it listens.
        let limit = open_file_limit();
        let reserved = 64 + 3 * u64::from(pool_max_size);
        let workers = self.worker_count() as u64;
        let affordable = limit.saturating_sub(reserved) / (workers * Self::DESCRIPTORS_PER_CONNECTION);
        let affordable = usize::try_from(affordable).unwrap_or(usize::MAX);
        match self.max_connections_per_worker {
            0 if affordable == 0 => {
                Err(format!("the open-file limit ({limit}) leaves no room for connections; raise it (ulimit -n)"))
            }
            0 => Ok(affordable.min(25_000)),
            n if n <= affordable => Ok(n),
            n => Err(format!(
                "server.max_connections_per_worker is {n}, but with {workers} worker(s) the open-file limit \
                 ({limit}) allows at most {affordable} (APP__SERVER__MAX_CONNECTIONS_PER_WORKER, or ulimit -n)"
            )),
        }
    }

    /// The number of workers that will run (0 = one per core).
    pub fn worker_count(&self) -> usize {
        match self.workers {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        }
    }
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
    pub pool_max_size: u32,
    pub acquire_timeout_ms: u64,
    pub statement_timeout_ms: u64,
    pub sqlite_busy_timeout_ms: u64,
}

/// What the pool is built from; fails only on a URL the persistence crate does not accept.
impl TryFrom<&DatabaseSettings> for PoolSettings {
    type Error = auth_persistence::DatabaseUrlError;

    fn try_from(db: &DatabaseSettings) -> Result<Self, Self::Error> {
        Ok(PoolSettings {
            url: DatabaseUrl::parse(db.url.expose_secret())?,
            max_size: db.pool_max_size,
            acquire_timeout: std::time::Duration::from_millis(db.acquire_timeout_ms),
            sqlite_busy_timeout_ms: db.sqlite_busy_timeout_ms,
            statement_timeout_ms: db.statement_timeout_ms,
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    pub secret: SecretString,
    pub issuer: String,
    pub access_ttl_secs: u64,
    pub leeway_secs: u64,
    pub prune_interval_secs: u64,
    pub algorithm: String,
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

    /// Whether tokens are signed with EdDSA (else HS256); anything else is refused by `validate`.
    pub fn eddsa(&self) -> bool {
        self.algorithm == "EdDSA"
    }

    /// The rotation, publishing and re-reading of signing keys.
    pub fn key_policy(&self) -> auth_domain::KeyPolicy {
        let secs = |s: u64| chrono::TimeDelta::seconds(i64::try_from(s).unwrap_or(i64::MAX).min(i64::MAX / 1000));
        auth_domain::KeyPolicy {
            rotation: (self.key_rotation_days > 0).then(|| secs(self.key_rotation_days.saturating_mul(86_400))),
            publish_lead: secs(self.key_publish_lead_secs),
            refresh: secs(self.key_refresh_secs),
            token_life: secs(self.access_ttl_secs.saturating_add(self.leeway_secs)),
        }
    }
}

/// What the token codec is built from.
impl From<&TokenSettings> for auth_domain::TokenSettings {
    fn from(tokens: &TokenSettings) -> Self {
        Self {
            secret: tokens.secret.clone(),
            issuer: tokens.issuer.clone(),
            access_ttl_secs: tokens.access_ttl_secs,
            leeway_secs: tokens.leeway_secs,
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

impl From<&SessionSettings> for auth_domain::SessionPolicy {
    fn from(s: &SessionSettings) -> Self {
        Self::from_secs(s.refresh_ttl_secs, s.max_lifetime_secs, s.refresh_reuse_grace_secs, s.max_per_user)
    }
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
}

impl AbuseSettings {
    pub const MAX_FAILURES: RangeInclusive<u32> = 0..=1_000_000;
}

impl From<&AbuseSettings> for auth_domain::ThrottlePolicy {
    fn from(s: &AbuseSettings) -> Self {
        Self {
            window: chrono::TimeDelta::seconds(i64::try_from(s.window_secs).unwrap_or(i64::MAX).min(i64::MAX / 1000)),
            login_pair_max_failures: s.login_pair_max_failures,
            login_email_max_failures: s.login_email_max_failures,
            login_ip_max_failures: s.login_ip_max_failures,
            register_per_ip_per_hour: s.register_per_ip_per_hour,
        }
    }
}

impl ServerSettings {
    /// The proxies whose forwarding header names the client (checked by `validate`).
    pub fn trusted_proxies(&self) -> Result<auth_api::TrustedProxies, Vec<String>> {
        let header = auth_api::ForwardedHeader::parse(&self.client_ip_header)
            .map_err(|e| vec![format!("server.client_ip_header: {e} (APP__SERVER__CLIENT_IP_HEADER)")])?;
        auth_api::TrustedProxies::parse(&self.trusted_proxies, header).map_err(|bad| {
            bad.into_iter().map(|e| format!("server.trusted_proxies: {e} (APP__SERVER__TRUSTED_PROXIES)")).collect()
        })
    }
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

/// `APP__SECTION__KEY_FILE=/run/secrets/x` sets `section.key` to the file's content (without the final
/// newline), as Docker and Kubernetes secrets are mounted. It wins over `APP__SECTION__KEY`.
fn read_secret_files(vars: Map<String, String>) -> Result<Map<String, String>, SettingsError> {
    let mut resolved = Map::new();
    let mut from_files = Map::new();
    for (name, value) in vars {
        match name.strip_suffix("_FILE").or_else(|| name.strip_suffix("_file")) {
            Some(target) => {
                let content = std::fs::read_to_string(&value)
                    .map_err(|source| SettingsError::SecretFile { variable: name.clone(), source })?;
                from_files.insert(target.to_owned(), content.trim_end_matches(['\n', '\r']).to_owned());
            }
            None => {
                resolved.insert(name, value);
            }
        }
    }
    resolved.extend(from_files);
    Ok(resolved)
}

impl Settings {
    /// Reads `APP_ENVIRONMENT`, `APP_CONFIG_DIR` (default `./config`) and the process environment.
    pub fn load() -> Result<(Environment, Self), SettingsError> {
        let environment = std::env::var("APP_ENVIRONMENT").map_or(Ok(Environment::Development), |e| e.parse())?;
        let dir = std::env::var_os("APP_CONFIG_DIR").map_or_else(|| PathBuf::from("config"), PathBuf::from);
        let settings = Self::load_from(&dir, environment, std::env::vars().collect())?;
        Ok((environment, settings))
    }

    /// Loads from `dir` with `vars` standing in for the process environment.
    pub fn load_from(dir: &Path, environment: Environment, vars: Map<String, String>) -> Result<Self, SettingsError> {
        let database_url = vars.get("DATABASE_URL").cloned();
        let app_vars = read_secret_files(vars.into_iter().filter(|(k, _)| k.starts_with("APP__")).collect())?;
        let has_app_url = app_vars.keys().any(|k| k.eq_ignore_ascii_case("APP__DATABASE__URL"));
        let load_error = |source| SettingsError::Load { dir: dir.display().to_string(), source };
        let mut settings: Self = Config::builder()
            .add_source(File::from(dir.join("default.toml")))
            .add_source(File::from(dir.join(format!("{}.toml", environment.as_str()))).required(false))
            // No try_parsing: it would turn a secret such as "000123" into "123".
            .add_source(EnvSource::with_prefix("APP").prefix_separator("__").separator("__").source(Some(app_vars)))
            .build()
            .map_err(load_error)?
            .try_deserialize()
            .map_err(load_error)?;
        if let (Some(url), false) = (database_url, has_app_url) {
            settings.database.url = SecretString::from(url);
        }
        Ok(settings)
    }
}

/// The most open files this process may have: the hard limit, which `serve` raises the soft one to.
pub fn open_file_limit() -> u64 {
    rlimit::Resource::NOFILE.get_hard().unwrap_or(1024)
}
