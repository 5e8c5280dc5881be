use crate::database_url::{Backend, DatabaseUrl};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{CustomizeConnection, ManageConnection, R2D2Connection};

/// One connection type for both backends, so every query is written once.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Connects by the URL's scheme. diesel's own `ConnectionManager<MultiConnection>` tries each backend
/// in turn and reports only "Invalid connection url"; this keeps the driver's real error (wrong
/// password, refused connection) so it reaches the logs.
#[derive(Debug)]
pub struct SchemeManager {
    url: DatabaseUrl,
}

impl SchemeManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }
}

impl ManageConnection for SchemeManager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        let target = self.url.connection_string();
        let connection = match self.url.backend() {
            Backend::Postgres => diesel::PgConnection::establish(target).map(DbConnection::Pg),
            Backend::Sqlite => diesel::SqliteConnection::establish(target).map(DbConnection::Sqlite),
        };
        connection.map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

/// Session settings applied to every new pooled connection.
#[derive(Debug, Clone, Copy)]
pub struct SessionSetup {
    pub sqlite_busy_timeout_ms: u64,
    pub statement_timeout_ms: u64,
}

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for SessionSetup {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        let sql = match conn {
            // WAL lets readers run beside the one writer; foreign keys are off by default in SQLite;
            // the busy timeout makes concurrent writers wait instead of failing at once.
            DbConnection::Sqlite(_) => format!(
                "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
                self.sqlite_busy_timeout_ms
            ),
            DbConnection::Pg(_) => {
                format!("SET statement_timeout = {}; SET TIME ZONE 'UTC';", self.statement_timeout_ms)
            }
        };
        // batch_execute, not sql_query: SQLite's sql_query runs only the first statement.
        conn.batch_execute(&sql).map_err(diesel::r2d2::Error::QueryError)
    }
}
