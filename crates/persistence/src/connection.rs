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

/// Evaluates `$body` with `$c` bound to the backend's own connection. The hottest statement (the token
/// check) goes this way: diesel's `MultiConnection` renders a query's SQL again on every execution to
/// hand it to the inner connection, even when that connection has the statement prepared already
/// (measured in docs/BENCHMARKS.md).
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::connection::DbConnection::Pg($c) => $body,
            $crate::connection::DbConnection::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// diesel marks a PostgreSQL connection broken (so the pool drops it instead of handing it out again)
/// when a statement fails on it, but not when preparing a statement the connection has not run before
/// fails: a pool that lost its connections while serving only such statements would fail every request
/// and never recover (found with status-only traffic through a cut proxy, `faults.rs`). After an error
/// saying the connection is gone, one empty command lets diesel read libpq's state; the socket is
/// already closed, so it costs no round trip.
pub(crate) fn drop_if_lost<T>(conn: &mut DbConnection, result: diesel::QueryResult<T>) -> diesel::QueryResult<T> {
    if let DbConnection::Pg(pg) = conn {
        return drop_pg_if_lost(pg, result);
    }
    result
}

/// `drop_if_lost` on a PostgreSQL connection.
pub(crate) fn drop_pg_if_lost<T>(
    pg: &mut diesel::PgConnection,
    result: diesel::QueryResult<T>,
) -> diesel::QueryResult<T> {
    use diesel::result::{DatabaseErrorKind, Error};
    if let Err(Error::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _)) =
        &result
    {
        let _ = pg.batch_execute("");
    }
    result
}

/// Connects by the URL's scheme. diesel's own `ConnectionManager<MultiConnection>` tries each backend
/// in turn and reports only "Invalid connection url"; this keeps the driver's real error (wrong
/// password, refused connection) so it reaches the logs.
#[derive(Debug)]
pub struct SchemeManager {
    url: DatabaseUrl,
    /// Whether a missing SQLite file may be created: only by migrations, never by the pool.
    create: bool,
}

impl SchemeManager {
    /// A manager for pooled connections: a missing SQLite file is an error, not a new empty database.
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url, create: false }
    }

    /// A manager that creates the SQLite file if it does not exist (for migrations).
    pub fn creating(url: DatabaseUrl) -> Self {
        Self { url, create: true }
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }
}

impl ManageConnection for SchemeManager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        let target = self.url.connection_string(self.create);
        let connection = match self.url.backend() {
            Backend::Postgres => diesel::PgConnection::establish(&target).map(DbConnection::Pg),
            Backend::Sqlite => diesel::SqliteConnection::establish(&target).map(DbConnection::Sqlite),
        };
        // The driver's message may quote parts of the URL (a host name, a password it misread): it goes
        // to the log, so the password is taken out here, on the one path every connection error takes.
        connection.map_err(|e| {
            diesel::r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(
                self.url.redact(&e.to_string()),
            ))
        })
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

/// How a connection refused for a read-only SQLite file is described (readiness looks for it).
pub(crate) const NOT_WRITABLE: &str = "the SQLite database file cannot be written";

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
            // SQLite opens a file it may not write (permissions, `chattr +i`, a read-only mount) read-only
            // without a word, and such a connection would stay in the pool after the file is writable
            // again. One write, rolled back, refuses it here (taking the lock alone is not refused in WAL
            // mode); the pool tries again later.
            DbConnection::Sqlite(_) => format!(
                "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                 BEGIN IMMEDIATE; PRAGMA user_version = 0; ROLLBACK;",
                self.sqlite_busy_timeout_ms
            ),
            DbConnection::Pg(_) => {
                format!("SET statement_timeout = {}; SET TIME ZONE 'UTC';", self.statement_timeout_ms)
            }
        };
        // batch_execute, not sql_query: SQLite's sql_query runs only the first statement.
        conn.batch_execute(&sql).map_err(|e| match conn {
            DbConnection::Sqlite(_) if e.to_string().contains("readonly") => diesel::r2d2::Error::ConnectionError(
                diesel::ConnectionError::BadConnection(format!("{NOT_WRITABLE}: {e}")),
            ),
            _ => diesel::r2d2::Error::QueryError(e),
        })
    }
}
