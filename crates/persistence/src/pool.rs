use crate::connection::{DbConnection, SchemeManager, SessionSetup};
use crate::database_url::DatabaseUrl;
use crate::outage::OutageLog;
use diesel::r2d2::CustomizeConnection;
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
pub(crate) fn build_pool(settings: &PoolSettings) -> Result<DbPool, PoolError> {
    if settings.max_size == 0 {
        return Err(PoolError::EmptyPool);
    }
    ensure_sqlite_directory(&settings.url)?;
    let outage = OutageLog::default();
    Ok(r2d2::Pool::builder()
        .max_size(settings.max_size)
        .connection_timeout(settings.acquire_timeout)
        // A broken connection is detected by `has_broken` after an error; pinging on every checkout
        // would add a round trip to every request.
        .test_on_check_out(false)
        .error_handler(Box::new(outage.clone()))
        .connection_customizer(Box::new(PoolCustomizer { setup: settings.session_setup(), outage }))
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

/// Sets up each new connection and records that the database is reachable.
#[derive(Debug)]
struct PoolCustomizer {
    setup: SessionSetup,
    outage: OutageLog,
}

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for PoolCustomizer {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        // A failure here reaches the pool's error handler, the same `OutageLog`.
        self.setup.on_acquire(conn)?;
        self.outage.connection_made();
        Ok(())
    }
}
