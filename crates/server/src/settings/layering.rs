//! Where settings come from: `config/default.toml`, then `config/{environment}.toml`, then
//! `APP__SECTION__KEY` environment variables (and `_FILE` variants), then `DATABASE_URL`.

use super::{Environment, Settings, SettingsError};
use config::{Config, Environment as EnvSource, File, Map};
use secrecy::SecretString;
use std::path::{Path, PathBuf};

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
