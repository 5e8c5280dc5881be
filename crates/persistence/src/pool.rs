use crate::connection::{SchemeManager, SessionSetup};
use crate::database_url::DatabaseUrl;
use std::time::Duration;

pub type DbPool = r2d2::Pool<SchemeManager>;

#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub url: DatabaseUrl,
    pub max_size: u32,
    /// How long a request waits for a connection before it is answered 503.
    pub acquire_timeout: Duration,
    pub sqlite_busy_timeout_ms: u64,
    pub statement_timeout_ms: u64,
}

impl PoolSettings {
    pub(crate) fn session_setup(&self) -> SessionSetup {
        SessionSetup {
            sqlite_busy_timeout_ms: self.sqlite_busy_timeout_ms,
            statement_timeout_ms: self.statement_timeout_ms,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("cannot create the directory for the SQLite database {path}: {source}")]
    CreateDir { path: String, source: std::io::Error },
    #[error("database.pool_max_size must be at least 1")]
    EmptyPool,
}

/// Builds the pool without waiting for a connection: the service starts and answers 503 until the
/// database is reachable, and recovers by itself when it comes back.
pub fn build_pool(settings: &PoolSettings) -> Result<DbPool, PoolError> {
    if settings.max_size == 0 {
        return Err(PoolError::EmptyPool);
    }
    ensure_sqlite_directory(&settings.url)?;
    Ok(r2d2::Pool::builder()
        .max_size(settings.max_size)
        .connection_timeout(settings.acquire_timeout)
        // A broken connection is detected by `has_broken` after an error; pinging on every checkout
        // would add a round trip to every request.
        .test_on_check_out(false)
        .error_handler(Box::new(TracingErrorHandler))
        .connection_customizer(Box::new(settings.session_setup()))
        .build_unchecked(SchemeManager::new(settings.url.clone())))
}

/// SQLite creates the database file but not its directory (`data/` on a fresh clone).
pub(crate) fn ensure_sqlite_directory(url: &DatabaseUrl) -> Result<(), PoolError> {
    let path = url.sqlite_path();
    match path.as_deref().and_then(std::path::Path::parent) {
        Some(parent) if !parent.as_os_str().is_empty() => std::fs::create_dir_all(parent)
            .map_err(|source| PoolError::CreateDir { path: parent.display().to_string(), source }),
        _ => Ok(()),
    }
}

#[derive(Debug)]
struct TracingErrorHandler;

impl r2d2::HandleError<diesel::r2d2::Error> for TracingErrorHandler {
    fn handle_error(&self, error: diesel::r2d2::Error) {
        tracing::warn!(error = %error, "database connection failed");
    }
}
