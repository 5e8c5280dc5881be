//! In-memory fakes of the storage traits, with the same atomicity as the real ones.

use crate::email::Email;
use crate::store::{InsertUserError, NewRevocation, NewUser, RevocationStore, RevokeOutcome, StoreError, UserStore};
use crate::token::TokenId;
use crate::user::{User, UserCredentials, UserId};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    pub unavailable: std::sync::atomic::AtomicBool,
}

#[derive(Default)]
struct Inner {
    users: Vec<UserCredentials>,
    revoked: HashMap<TokenId, NewRevocation>,
}

impl MemoryStore {
    fn check(&self) -> Result<std::sync::MutexGuard<'_, Inner>, StoreError> {
        if self.unavailable.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(StoreError::Unavailable(crate::store::cause("connection refused")));
        }
        Ok(self.inner.lock().unwrap())
    }

    pub fn user_count(&self) -> usize {
        self.inner.lock().unwrap().users.len()
    }

    pub fn revocations(&self) -> Vec<NewRevocation> {
        let mut rows: Vec<_> = self.inner.lock().unwrap().revoked.values().cloned().collect();
        rows.sort_by_key(|r| r.expires_at);
        rows
    }

    pub fn stored_hash(&self, email: &str) -> Option<String> {
        let inner = self.inner.lock().unwrap();
        inner.users.iter().find(|c| c.user.email.as_str() == email).map(|c| c.password_hash.as_str().to_owned())
    }

    pub fn delete_user_by_id(&self, id: UserId) {
        self.inner.lock().unwrap().remove_user(id);
    }
}

impl Inner {
    fn remove_user(&mut self, id: UserId) {
        self.users.retain(|c| c.user.id != id);
        self.revoked.retain(|_, r| r.user_id != id);
    }
}

impl UserStore for MemoryStore {
    fn insert_user(&self, new_user: &NewUser) -> Result<User, InsertUserError> {
        let mut inner = self.check()?;
        if inner.users.iter().any(|c| c.user.email == new_user.email) {
            return Err(InsertUserError::EmailTaken);
        }
        let id = UserId(inner.users.iter().map(|c| c.user.id.0).max().unwrap_or(0) + 1);
        let user =
            User { id, email: new_user.email.clone(), admin: new_user.admin, registered_on: new_user.registered_on };
        inner.users.push(UserCredentials { user: user.clone(), password_hash: new_user.password_hash.clone() });
        Ok(user)
    }

    fn find_credentials_by_email(&self, email: &Email) -> Result<Option<UserCredentials>, StoreError> {
        Ok(self.check()?.users.iter().find(|c| &c.user.email == email).cloned())
    }

    fn find_user_with_revocation(&self, id: UserId, jti: &TokenId) -> Result<Option<(User, bool)>, StoreError> {
        let inner = self.check()?;
        let user = inner.users.iter().find(|c| c.user.id == id).map(|c| c.user.clone());
        Ok(user.map(|u| (u, inner.revoked.contains_key(jti))))
    }

    fn set_admin(&self, email: &Email, admin: bool) -> Result<Option<User>, StoreError> {
        let mut inner = self.check()?;
        let found = inner.users.iter_mut().find(|c| &c.user.email == email);
        Ok(found.map(|c| {
            c.user.admin = admin;
            c.user.clone()
        }))
    }

    /// One critical section, as the database's one DELETE with its cascade.
    fn delete_user(&self, email: &Email) -> Result<bool, StoreError> {
        let mut inner = self.check()?;
        let Some(id) = inner.users.iter().find(|c| &c.user.email == email).map(|c| c.user.id) else {
            return Ok(false);
        };
        inner.remove_user(id);
        Ok(true)
    }
}

impl RevocationStore for MemoryStore {
    fn revoke(&self, revocation: &NewRevocation) -> Result<RevokeOutcome, StoreError> {
        let mut inner = self.check()?;
        if !inner.users.iter().any(|c| c.user.id == revocation.user_id) {
            return Ok(RevokeOutcome::UnknownUser);
        }
        if inner.revoked.contains_key(&revocation.jti) {
            return Ok(RevokeOutcome::AlreadyRevoked);
        }
        inner.revoked.insert(revocation.jti.clone(), revocation.clone());
        Ok(RevokeOutcome::Revoked)
    }

    fn prune_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut inner = self.check()?;
        let before = inner.revoked.len();
        inner.revoked.retain(|_, r| r.expires_at >= now);
        Ok((before - inner.revoked.len()) as u64)
    }
}

/// A clock the test moves by hand.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    pub fn advance(&self, by: chrono::TimeDelta) {
        *self.0.lock().unwrap() += by;
    }
}

impl crate::clock::Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// An `AuthService` over a fresh `MemoryStore`: bcrypt at `cost`, one-hour HS256 tokens, the default
/// password policy, time from `clock`.
pub fn memory_service(
    cost: u32,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
) -> (crate::AuthService, std::sync::Arc<MemoryStore>) {
    let store = std::sync::Arc::new(MemoryStore::default());
    let tokens = crate::TokenCodec::new(&crate::TokenSettings {
        secret: secrecy::SecretString::from("in-memory-test-secret-0123456789abcdef"),
        issuer: "auth-service".into(),
        access_ttl_secs: 3600,
        leeway_secs: 0,
    })
    .expect("valid token settings");
    let hasher = crate::PasswordHasher::new(cost).expect("valid bcrypt cost");
    let service =
        crate::AuthService::new(store.clone(), store.clone(), hasher, tokens, crate::PasswordPolicy::default(), clock);
    (service, store)
}
