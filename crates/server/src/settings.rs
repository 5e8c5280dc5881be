//! Layered settings: `config/default.toml`, then `config/{environment}.toml`, then `APP__SECTION__KEY`
//! environment variables. Unknown keys are an error; `validate` refuses unsafe production settings.

use config::{Config, Environment as EnvSource, File, Map};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub tokens: TokenSettings,
    pub password: PasswordSettings,
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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    pub secret: SecretString,
    pub issuer: String,
    pub access_ttl_secs: u64,
    pub leeway_secs: u64,
    pub prune_interval_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordSettings {
    pub min_length: usize,
    pub bcrypt_cost: u32,
    pub max_concurrent_hashes: usize,
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

/// The secrets committed in `config/`: production refuses every one of them.
const SHIPPED_CONFIG_FILES: [&str; 4] = [
    include_str!("../../../config/default.toml"),
    include_str!("../../../config/development.toml"),
    include_str!("../../../config/test.toml"),
    include_str!("../../../config/production.toml"),
];

pub const MIN_PRODUCTION_SECRET_BYTES: usize = 32;
pub const MAX_PRODUCTION_LEEWAY_SECS: u64 = 60;
pub const MIN_PRODUCTION_BCRYPT_COST: u32 = 10;

fn shipped_secrets() -> Vec<String> {
    SHIPPED_CONFIG_FILES
        .iter()
        .filter_map(|file| file.parse::<toml::Table>().ok())
        .filter_map(|table| table.get("tokens")?.get("secret")?.as_str().map(str::to_owned))
        .filter(|secret| !secret.is_empty())
        .collect()
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

    /// Every problem at once, each naming the setting and its environment variable.
    pub fn validate(&self, environment: Environment) -> Result<(), SettingsError> {
        let mut problems = Vec::new();
        let secret = self.tokens.secret.expose_secret();
        if environment == Environment::Production {
            if secret.is_empty() {
                problems
                    .push("tokens.secret is not set: set APP__TOKENS__SECRET to at least 32 random bytes".to_owned());
            } else if secret.len() < MIN_PRODUCTION_SECRET_BYTES {
                problems.push(format!(
                    "tokens.secret is {} bytes; production needs at least {MIN_PRODUCTION_SECRET_BYTES} (APP__TOKENS__SECRET)",
                    secret.len()
                ));
            } else if shipped_secrets().iter().any(|s| s == secret) {
                problems.push(
                    "tokens.secret is a value shipped in config/: set APP__TOKENS__SECRET to a secret of your own"
                        .to_owned(),
                );
            }
            if self.tokens.leeway_secs > MAX_PRODUCTION_LEEWAY_SECS {
                problems.push(format!(
                    "tokens.leeway_secs is {}; production allows at most {MAX_PRODUCTION_LEEWAY_SECS} (APP__TOKENS__LEEWAY_SECS)",
                    self.tokens.leeway_secs
                ));
            }
            if self.cors.allowed_origins.iter().any(|o| o == "*") {
                problems.push(
                    "cors.allowed_origins contains \"*\"; production needs the exact origins (APP__CORS__ALLOWED_ORIGINS)".to_owned(),
                );
            }
            if self.password.bcrypt_cost < MIN_PRODUCTION_BCRYPT_COST {
                problems.push(format!(
                    "password.bcrypt_cost is {}; production needs at least {MIN_PRODUCTION_BCRYPT_COST} (APP__PASSWORD__BCRYPT_COST)",
                    self.password.bcrypt_cost
                ));
            }
        } else if secret.is_empty() {
            problems.push("tokens.secret must not be empty (APP__TOKENS__SECRET)".to_owned());
        }
        if let Err(e) = auth_persistence::DatabaseUrl::parse(self.database.url.expose_secret()) {
            problems.push(format!("{e} (APP__DATABASE__URL)"));
        }
        if self.database.pool_max_size == 0 {
            problems.push("database.pool_max_size must be at least 1 (APP__DATABASE__POOL_MAX_SIZE)".to_owned());
        }
        if self.database.acquire_timeout_ms == 0 {
            problems
                .push("database.acquire_timeout_ms must be at least 1 (APP__DATABASE__ACQUIRE_TIMEOUT_MS)".to_owned());
        }
        if !(1..=auth_domain::MAX_PASSWORD_BYTES).contains(&self.password.min_length) {
            problems.push(format!(
                "password.min_length must be between 1 and {} (APP__PASSWORD__MIN_LENGTH)",
                auth_domain::MAX_PASSWORD_BYTES
            ));
        }
        let costs = auth_domain::PasswordHasher::MIN_COST..=auth_domain::PasswordHasher::MAX_COST;
        if !costs.contains(&self.password.bcrypt_cost) {
            problems.push(format!(
                "password.bcrypt_cost must be between {} and {} (APP__PASSWORD__BCRYPT_COST)",
                costs.start(),
                costs.end()
            ));
        }
        if self.tokens.access_ttl_secs == 0 || self.tokens.access_ttl_secs > auth_domain::TokenCodec::MAX_TTL_SECS {
            problems.push(format!(
                "tokens.access_ttl_secs must be between 1 and {} (APP__TOKENS__ACCESS_TTL_SECS)",
                auth_domain::TokenCodec::MAX_TTL_SECS
            ));
        }
        if self.tokens.issuer.is_empty() {
            problems.push("tokens.issuer must not be empty (APP__TOKENS__ISSUER)".to_owned());
        }
        if self.tokens.prune_interval_secs == 0 {
            problems
                .push("tokens.prune_interval_secs must be at least 1 (APP__TOKENS__PRUNE_INTERVAL_SECS)".to_owned());
        }
        for origin in self.cors.allowed_origins.iter().filter(|o| *o != "*") {
            if !(origin.starts_with("http://") || origin.starts_with("https://")) || origin.ends_with('/') {
                problems.push(format!(
                    "cors.allowed_origins entry \"{origin}\" must look like https://host[:port] (APP__CORS__ALLOWED_ORIGINS)"
                ));
            }
        }
        if !self.metrics.bind.is_empty() && self.metrics.bind.parse::<std::net::SocketAddr>().is_err() {
            problems.push(format!(
                "metrics.bind \"{}\" must be empty or host:port (APP__METRICS__BIND)",
                self.metrics.bind
            ));
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            problems.push(format!("log.level \"{}\" is not a valid filter (APP__LOG__LEVEL)", self.log.level));
        }
        if problems.is_empty() { Ok(()) } else { Err(SettingsError::Invalid(problems)) }
    }
}
