use crate::connection::DbConnection;
use crate::pool::PoolSettings;
use diesel::RunQueryDsl;
use diesel::r2d2::{CustomizeConnection, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// Serialises migrations across instances that start at the same time ("auth_mig" in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x6175_7468_5f6d_6967;

#[derive(Debug, thiserror::Error)]
#[error("database migration failed")]
pub struct MigrationError(#[source] Box<dyn std::error::Error + Send + Sync>);

impl MigrationError {
    fn from(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(cause.into())
    }
}

/// Applies the pending migrations on a connection of its own (no statement timeout, not pooled) and
/// returns the versions it applied.
pub fn run_migrations(settings: &PoolSettings) -> Result<Vec<String>, MigrationError> {
    crate::pool::ensure_sqlite_directory(&settings.url).map_err(MigrationError::from)?;
    let manager = crate::connection::SchemeManager::creating(settings.url.clone());
    let mut conn = manager.connect().map_err(MigrationError::from)?;
    let setup = crate::connection::SessionSetup { statement_timeout_ms: 0, ..settings.session_setup() };
    setup.on_acquire(&mut conn).map_err(MigrationError::from)?;

    let applied = match &mut conn {
        DbConnection::Pg(pg) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .execute(pg)
                .map_err(MigrationError::from)?;
            let result = pg.run_pending_migrations(POSTGRES_MIGRATIONS).map(versions);
            let unlock = diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")).execute(pg);
            let applied = result.map_err(MigrationError::from)?;
            unlock.map_err(MigrationError::from)?;
            applied
        }
        DbConnection::Sqlite(sqlite) => {
            sqlite.run_pending_migrations(SQLITE_MIGRATIONS).map(versions).map_err(MigrationError::from)?
        }
    };
    for version in &applied {
        tracing::info!(version, "migration applied");
    }
    Ok(applied)
}

fn versions(applied: Vec<diesel::migration::MigrationVersion<'_>>) -> Vec<String> {
    applied.iter().map(ToString::to_string).collect()
}

/// How many embedded migrations the connected database has not applied.
pub(crate) fn pending_migrations(conn: &mut DbConnection) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    match conn {
        DbConnection::Pg(pg) => pg.pending_migrations(POSTGRES_MIGRATIONS).map(|m| m.len()),
        DbConnection::Sqlite(sqlite) => sqlite.pending_migrations(SQLITE_MIGRATIONS).map(|m| m.len()),
    }
}
