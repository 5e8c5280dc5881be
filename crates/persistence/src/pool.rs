use crate::connection::{DbConnection, SchemeManager, SessionSetup};
use crate::database_url::DatabaseUrl;
use crate::outage::OutageLog;
use diesel::r2d2::CustomizeConnection;
use std::ops::RangeInclusive;
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
    /// More connections than a few per core only queue inside the database (docs/BENCHMARKS.md).
    pub const MAX_SIZE: RangeInclusive<u32> = 1..=256;
    pub const ACQUIRE_TIMEOUT_MS: RangeInclusive<u64> = 1..=600_000;
    /// 0 turns the limit off; a day is far past any statement of ours, and PostgreSQL takes an int.
    pub const STATEMENT_TIMEOUT_MS: RangeInclusive<u64> = 0..=86_400_000;
    pub const SQLITE_BUSY_TIMEOUT_MS: RangeInclusive<u64> = 0..=600_000;

    /// Every value outside its range, as `setting: problem`.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut check = |name: &str, value: u64, range: RangeInclusive<u64>| {
            if !range.contains(&value) {
                problems.push(format!(
                    "database.{name} must be between {} and {} (got {value})",
                    range.start(),
                    range.end()
                ));
            }
        };
        let size = Self::MAX_SIZE;
        check("pool_max_size", u64::from(self.max_size), u64::from(*size.start())..=u64::from(*size.end()));
        check(
            "acquire_timeout_ms",
            u64::try_from(self.acquire_timeout.as_millis()).unwrap_or(u64::MAX),
            Self::ACQUIRE_TIMEOUT_MS,
        );
        check("statement_timeout_ms", self.statement_timeout_ms, Self::STATEMENT_TIMEOUT_MS);
        check("sqlite_busy_timeout_ms", self.sqlite_busy_timeout_ms, Self::SQLITE_BUSY_TIMEOUT_MS);
        problems
    }

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
    #[error("invalid database settings: {}", .0.join("; "))]
    OutOfRange(Vec<String>),
}

/// Builds the pool without waiting for a connection: the service starts and answers 503 until the
/// database is reachable, and recovers by itself when it comes back.
pub(crate) fn build_pool(settings: &PoolSettings) -> Result<DbPool, PoolError> {
    let problems = settings.problems();
    if !problems.is_empty() {
        return Err(PoolError::OutOfRange(problems));
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
