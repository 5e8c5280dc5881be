use crate::connection::SchemeManager;
use crate::error::{checkout, is_foreign_key_violation, is_unique_violation, query_failed};
use crate::pool::{DbPool, PoolError, PoolSettings, build_pool};
use crate::rows::{NewRevokedTokenRow, NewUserRow, UserRow};
use crate::schema::{readiness_probe, revoked_tokens, users};
use crate::sqlite_file::SqliteFile;
use crate::write_failures::RecentWriteFailure;
use auth_domain::{
    Email, InsertUserError, NewRevocation, NewUser, NotReady, Readiness, RevocationStore, RevokeOutcome, StoreError,
    TokenId, User, UserCredentials, UserId, UserStore,
};
use chrono::{DateTime, Utc};
use diesel::dsl::exists;
use diesel::prelude::*;
use r2d2::PooledConnection;
use std::sync::Arc;

/// The domain's stores over one r2d2 pool. Every method is a single statement.
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
    write_failure: RecentWriteFailure,
}

impl DieselStore {
    /// A store over a new pool (see `build_pool`: no connection is made yet).
    pub fn open(settings: &PoolSettings) -> Result<Self, PoolError> {
        let pool = build_pool(settings)?;
        let sqlite_file = settings.url.sqlite_path().map(SqliteFile::new);
        Ok(Self { pool, sqlite_file, write_failure: RecentWriteFailure::default() })
    }

    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// Tells readiness how a write went: a refused write (not a constraint, which is an answer) is
    /// remembered; a stored one proves the database writable again.
    fn track<T>(&self, result: QueryResult<T>) -> QueryResult<T> {
        match &result {
            Ok(_) => self.write_failure.clear(),
            Err(e) if is_unique_violation(e) || is_foreign_key_violation(e) => {}
            Err(e) => self.write_failure.record(&e.to_string()),
        }
        result
    }

    fn conn(&self) -> Result<PooledConnection<SchemeManager>, StoreError> {
        let started = std::time::Instant::now();
        let conn = self.pool.get();
        metrics::histogram!("db_pool_checkout_wait_seconds").record(started.elapsed().as_secs_f64());
        conn.map_err(|e| {
            metrics::counter!("db_pool_checkout_timeouts_total").increment(1);
            checkout(e)
        })
    }
}

impl UserStore for DieselStore {
    fn insert_user(&self, new_user: &NewUser) -> Result<User, InsertUserError> {
        let row = NewUserRow {
            email: new_user.email.as_str(),
            password: new_user.password_hash.as_str(),
            registered_on: new_user.registered_on.naive_utc(),
            admin: new_user.admin,
        };
        let inserted = self.track(diesel::insert_into(users::table).values(&row).load::<UserRow>(&mut self.conn()?));
        match inserted.map(|rows| rows.into_iter().next()) {
            Ok(Some(row)) => Ok(row.into_user()?),
            Ok(None) => Err(StoreError::Query(auth_domain::cause("the insert returned no row")).into()),
            Err(e) if is_unique_violation(&e) => Err(InsertUserError::EmailTaken),
            Err(e) => Err(query_failed(e).into()),
        }
    }

    fn find_credentials_by_email(&self, email: &Email) -> Result<Option<UserCredentials>, StoreError> {
        users::table
            .filter(users::email.eq(email.as_str()))
            .select(UserRow::as_select())
            .first(&mut self.conn()?)
            .optional()
            .map_err(query_failed)?
            .map(UserRow::into_credentials)
            .transpose()
    }

    fn find_user_with_revocation(&self, id: UserId, jti: &TokenId) -> Result<Option<(User, bool)>, StoreError> {
        let revoked = exists(revoked_tokens::table.filter(revoked_tokens::jti.eq(jti.as_str())));
        users::table
            .filter(users::id.eq(id.0))
            .select((UserRow::as_select(), revoked))
            .first::<(UserRow, bool)>(&mut self.conn()?)
            .optional()
            .map_err(query_failed)?
            .map(|(row, revoked)| row.into_user().map(|user| (user, revoked)))
            .transpose()
    }

    fn set_admin(&self, email: &Email, admin: bool) -> Result<Option<User>, StoreError> {
        let updated = diesel::update(users::table.filter(users::email.eq(email.as_str())))
            .set(users::admin.eq(admin))
            .load::<UserRow>(&mut self.conn()?);
        self.track(updated).map_err(query_failed)?.into_iter().next().map(UserRow::into_user).transpose()
    }

    fn delete_user(&self, email: &Email) -> Result<bool, StoreError> {
        let deleted = diesel::delete(users::table.filter(users::email.eq(email.as_str()))).execute(&mut self.conn()?);
        let deleted = self.track(deleted).map_err(query_failed)?;
        Ok(deleted > 0)
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

impl RevocationStore for DieselStore {
    fn revoke(&self, revocation: &NewRevocation) -> Result<RevokeOutcome, StoreError> {
        let row = NewRevokedTokenRow {
            jti: revocation.jti.as_str(),
            user_id: revocation.user_id.0,
            revoked_at: revocation.revoked_at.naive_utc(),
            expires_at: revocation.expires_at.naive_utc(),
        };
        match self.track(diesel::insert_into(revoked_tokens::table).values(&row).execute(&mut self.conn()?)) {
            Ok(_) => Ok(RevokeOutcome::Revoked),
            Err(e) if is_unique_violation(&e) => Ok(RevokeOutcome::AlreadyRevoked),
            Err(e) if is_foreign_key_violation(&e) => Ok(RevokeOutcome::UnknownUser),
            Err(e) => Err(query_failed(e)),
        }
    }

    fn prune_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let expired = revoked_tokens::table.filter(revoked_tokens::expires_at.lt(now.naive_utc()));
        let deleted = self.track(diesel::delete(expired).execute(&mut self.conn()?)).map_err(query_failed)?;
        Ok(deleted as u64)
    }
}
