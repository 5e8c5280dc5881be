mod accounts;
mod events;
mod feed;
mod outbox;
mod revocations;
mod sessions;
mod signing_keys;
mod throttles;
mod token_checks;
mod users;

use crate::connection::{DbConnection, SchemeManager};
use crate::error::{checkout, is_foreign_key_violation, is_unique_violation, query_failed};
use crate::pool::{DbPool, PoolError, PoolSettings, build_pool};
use crate::schema::readiness_probe;
use crate::sqlite_file::SqliteFile;
use crate::sqlite_readers::SqliteReaders;
use crate::write_failures::RecentWriteFailure;
use auth_domain::{NotReady, Readiness, StoreError};
use chrono::Utc;
use diesel::prelude::*;
use r2d2::PooledConnection;
use std::sync::Arc;

/// The domain's stores over one r2d2 pool. Every method is one statement or one transaction, and every
/// transaction starts with a write, so that on SQLite it takes the write lock first and never has to
/// upgrade a read lock (which fails at once under contention instead of waiting).
///
/// Writes that return rows are read to their end (`load`, never `get_result`): on SQLite the
/// statement's implicit commit happens when it finishes, and `get_result` stops after the first row,
/// so a failed commit (a full disk, a file that cannot be written) would be lost and the row reported
/// as stored when it was not.
#[derive(Clone)]
pub struct DieselStore {
    pool: DbPool,
    /// The SQLite file this store was opened on, to notice it being deleted or replaced.
    sqlite_file: Option<SqliteFile>,
    /// On SQLite, each thread's own read-only connection for token checks.
    sqlite_readers: Option<SqliteReaders>,
    write_failure: RecentWriteFailure,
    /// Rows a prune deletes per statement.
    prune_batch: i64,
}

impl DieselStore {
    /// A store over a new pool (see `build_pool`: no connection is made yet).
    pub fn open(settings: &PoolSettings) -> Result<Self, PoolError> {
        let pool = build_pool(settings)?;
        let sqlite_file = settings.url.sqlite_path().map(SqliteFile::new);
        let sqlite_readers = SqliteReaders::new(&settings.url, settings.sqlite_busy_timeout_ms);
        Ok(Self {
            pool,
            sqlite_file,
            sqlite_readers,
            write_failure: RecentWriteFailure::default(),
            prune_batch: Self::PRUNE_BATCH,
        })
    }

    /// A prune deletes at most this many rows per statement, each its own transaction with a connection
    /// of its own: a million expired sessions (a bulk import, a long-stopped instance) deleted at once
    /// held SQLite's write lock past the busy timeout, and every login and registration meanwhile was a
    /// 503 (found by the load benchmark).
    pub const PRUNE_BATCH: i64 = 10_000;

    /// The same store pruning `rows` at a time (tests cross batch boundaries with a few rows).
    #[doc(hidden)]
    pub fn with_prune_batch(mut self, rows: i64) -> Self {
        self.prune_batch = rows.max(1);
        self
    }

    /// Runs `delete_batch` (which deletes at most the given number of rows) until it deletes fewer.
    pub(super) fn delete_in_batches(
        &self,
        mut delete_batch: impl FnMut(&mut DbConnection, i64) -> QueryResult<usize>,
    ) -> Result<u64, StoreError> {
        let mut total = 0u64;
        loop {
            let deleted = self.track(delete_batch(&mut *self.conn()?, self.prune_batch)).map_err(query_failed)?;
            total += deleted as u64;
            if (deleted as i64) < self.prune_batch {
                return Ok(total);
            }
        }
    }

    /// Instruments the connection this thread's token checks read from on SQLite (tests count their
    /// statements with it); on PostgreSQL token checks use the pool's connections.
    #[doc(hidden)]
    pub fn instrument_thread_reader(
        &self,
        instrumentation: impl diesel::connection::Instrumentation + 'static,
    ) -> Result<(), StoreError> {
        use diesel::Connection as _;
        match &self.sqlite_readers {
            Some(readers) => readers.with(|conn| {
                conn.set_instrumentation(instrumentation);
                Ok(())
            }),
            None => Ok(()),
        }
    }

    /// Whether a token check is a local read that never waits for the pool or the network (SQLite;
    /// see `sqlite_readers.rs`), so that it may run where it is asked for.
    pub fn token_checks_are_local(&self) -> bool {
        self.sqlite_readers.is_some()
    }

    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// Tells readiness how a write went: a refused write (not a constraint, which is an answer) is
    /// remembered; a stored one proves the database writable again.
    pub(super) fn track<T>(&self, result: QueryResult<T>) -> QueryResult<T> {
        match &result {
            Ok(_) => self.write_failure.clear(),
            Err(e) if is_unique_violation(e) || is_foreign_key_violation(e) => {}
            Err(e) => self.write_failure.record(&e.to_string()),
        }
        result
    }

    pub(super) fn conn(&self) -> Result<PooledConnection<SchemeManager>, StoreError> {
        let started = std::time::Instant::now();
        let conn = self.pool.get();
        metrics::histogram!("db_pool_checkout_wait_seconds").record(started.elapsed().as_secs_f64());
        conn.map_err(|e| {
            metrics::counter!("db_pool_checkout_timeouts_total").increment(1);
            checkout(e)
        })
    }
}

/// How much the readiness probe writes.
const PROBE_BYTES: usize = 16 * 1024;

impl Readiness for DieselStore {
    /// Reachable, migrated, the SQLite file still the one opened, no write refused lately, and a write
    /// commits.
    fn check_ready(&self) -> Result<(), NotReady> {
        if let Some(file) = &self.sqlite_file {
            file.check()?;
        }
        self.write_failure.check()?;
        let mut conn = self.pool.get().map_err(|e| {
            let not_writable = e.to_string().contains(crate::connection::NOT_WRITABLE);
            if not_writable { NotReady::NotWritable(Arc::new(e)) } else { NotReady::Unavailable(Arc::new(e)) }
        })?;
        match crate::migrations::pending_migrations(&mut conn) {
            Ok(0) => {}
            Ok(pending) => return Err(NotReady::PendingMigrations(pending)),
            Err(e) => return Err(NotReady::Unavailable(Arc::from(e))),
        }
        // Only a committed write shows that writes can be stored (a full disk or a read-only file
        // lets every read through). It is larger than any write of ours, so that a nearly full disk
        // is reported before a registration fails on it.
        let now = Utc::now().naive_utc();
        let padding = format!("{now:-<PROBE_BYTES$}");
        diesel::update(readiness_probe::table.filter(readiness_probe::id.eq(1)))
            .set((readiness_probe::checked_at.eq(now), readiness_probe::padding.eq(padding)))
            .execute(&mut conn)
            .map_err(|e| NotReady::NotWritable(Arc::new(e)))?;
        Ok(())
    }
}
