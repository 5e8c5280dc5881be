use crate::connection::SchemeManager;
use crate::error::{checkout, is_foreign_key_violation, is_unique_violation, query_failed};
use crate::pool::DbPool;
use crate::rows::{NewRevokedTokenRow, NewUserRow, UserRow};
use crate::schema::{revoked_tokens, users};
use auth_domain::{
    Email, InsertUserError, NewRevocation, NewUser, NotReady, Readiness, RevocationStore, RevokeOutcome, StoreError,
    TokenId, User, UserCredentials, UserId, UserStore,
};
use chrono::{DateTime, Utc};
use diesel::dsl::exists;
use diesel::prelude::*;
use r2d2::PooledConnection;

/// The domain's stores over one r2d2 pool. Every method is a single statement.
#[derive(Clone)]
pub struct DieselStore {
    pool: DbPool,
}

impl DieselStore {
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }

    pub fn pool(&self) -> &DbPool {
        &self.pool
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
        let inserted = diesel::insert_into(users::table).values(&row).get_result::<UserRow>(&mut self.conn()?);
        match inserted {
            Ok(row) => Ok(row.into_user()?),
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
        diesel::update(users::table.filter(users::email.eq(email.as_str())))
            .set(users::admin.eq(admin))
            .get_result::<UserRow>(&mut self.conn()?)
            .optional()
            .map_err(query_failed)?
            .map(UserRow::into_user)
            .transpose()
    }

    fn delete_user(&self, email: &Email) -> Result<bool, StoreError> {
        let deleted = diesel::delete(users::table.filter(users::email.eq(email.as_str())))
            .execute(&mut self.conn()?)
            .map_err(query_failed)?;
        Ok(deleted > 0)
    }
}

impl Readiness for DieselStore {
    fn check_ready(&self) -> Result<(), NotReady> {
        let mut conn = self.pool.get().map_err(|e| NotReady::Unavailable(e.to_string()))?;
        match crate::migrations::pending_migrations(&mut conn) {
            Ok(0) => Ok(()),
            Ok(pending) => Err(NotReady::PendingMigrations(pending)),
            Err(e) => Err(NotReady::Unavailable(e)),
        }
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
        match diesel::insert_into(revoked_tokens::table).values(&row).execute(&mut self.conn()?) {
            Ok(_) => Ok(RevokeOutcome::Revoked),
            Err(e) if is_unique_violation(&e) => Ok(RevokeOutcome::AlreadyRevoked),
            Err(e) if is_foreign_key_violation(&e) => Ok(RevokeOutcome::UnknownUser),
            Err(e) => Err(query_failed(e)),
        }
    }

    fn prune_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let expired = revoked_tokens::table.filter(revoked_tokens::expires_at.lt(now.naive_utc()));
        let deleted = diesel::delete(expired).execute(&mut self.conn()?).map_err(query_failed)?;
        Ok(deleted as u64)
    }
}
