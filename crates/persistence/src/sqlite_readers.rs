//! Token checks on SQLite read from a connection of the calling thread's own, not from the pool.
//!
//! In WAL mode a reader never waits for the writer, and a token check is a primary-key lookup in pages
//! the OS has cached: it takes microseconds, so the api runs it on the async worker itself instead of
//! handing it to another thread and back (the hand-off cost more than the read; docs/BENCHMARKS.md).
//! A pool checkout could wait up to the acquire timeout behind logins and logouts; a thread's own
//! read-only connection never waits for the pool. Each statement reads the latest commit, so a logout
//! is seen by the next check on every thread at once.

use crate::connection::DbConnection;
use crate::database_url::DatabaseUrl;
use auth_domain::{StoreError, cause};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Which store a thread's connection belongs to (tests open many stores on one thread).
static NEXT_STORE: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static READER: RefCell<Option<(u64, DbConnection)>> = const { RefCell::new(None) };
}

/// Clones share the thread connections: they read the same file.
#[derive(Debug, Clone)]
pub(crate) struct SqliteReaders {
    store: u64,
    /// `file:…?mode=ro`
    target: String,
    busy_timeout_ms: u64,
}

impl SqliteReaders {
    pub(crate) fn new(url: &DatabaseUrl, busy_timeout_ms: u64) -> Option<Self> {
        let path = url.sqlite_path()?;
        let target = format!("file:{}?mode=ro", path.to_string_lossy().replace('%', "%25"));
        Some(Self { store: NEXT_STORE.fetch_add(1, Ordering::Relaxed), target, busy_timeout_ms })
    }

    /// Runs `read` on this thread's connection to this store's file, opening it first if need be.
    /// After an error the connection is closed, so the next read starts afresh (a replaced file).
    pub(crate) fn with<T>(
        &self,
        read: impl FnOnce(&mut DbConnection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        READER.with(|slot| {
            let mut slot = slot.borrow_mut();
            let conn = match &mut *slot {
                Some((store, conn)) if *store == self.store => conn,
                other => &mut other.insert((self.store, self.connect()?)).1,
            };
            let result = read(conn);
            if result.is_err() {
                *slot = None;
            }
            result
        })
    }

    fn connect(&self) -> Result<DbConnection, StoreError> {
        let unavailable = |e: &dyn std::fmt::Display| StoreError::Unavailable(cause(format!("SQLite reader: {e}")));
        let mut conn = diesel::SqliteConnection::establish(&self.target).map_err(|e| unavailable(&e))?;
        // A small page cache: each thread has one of these, and the OS caches the file for all of them.
        conn.batch_execute(&format!(
            "PRAGMA query_only = ON; PRAGMA busy_timeout = {}; PRAGMA cache_size = -256;",
            self.busy_timeout_ms
        ))
        .map_err(|e| unavailable(&e))?;
        Ok(DbConnection::Sqlite(conn))
    }
}
