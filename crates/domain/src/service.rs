use crate::clock::Clock;
use crate::password::PasswordPolicy;
use crate::password_hasher::PasswordHasher;
use crate::session::{RefreshTokenCodec, SessionPolicy};
use crate::store::{RevocationStore, SessionStore, ThrottleStore, UserStore};
use crate::throttle::ThrottlePolicy;
use crate::token::TokenCodec;
use chrono::{DateTime, SubsecRound, Utc};
use std::sync::Arc;

/// The stores the use cases need; one database implements them all.
#[derive(Clone)]
pub struct Stores {
    pub users: Arc<dyn UserStore>,
    pub revocations: Arc<dyn RevocationStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub throttles: Arc<dyn ThrottleStore>,
}

impl Stores {
    pub fn all<S: UserStore + RevocationStore + SessionStore + ThrottleStore + 'static>(store: Arc<S>) -> Self {
        Self { users: store.clone(), revocations: store.clone(), sessions: store.clone(), throttles: store }
    }
}

/// How passwords are hashed and checked.
pub struct Passwords {
    pub hasher: PasswordHasher,
    pub policy: PasswordPolicy,
}

/// How tokens are made: access tokens, refresh tokens, and how long sessions live.
pub struct Tokens {
    pub access: TokenCodec,
    pub refresh: RefreshTokenCodec,
    pub sessions: SessionPolicy,
}

/// The auth use cases and everything they need. Each use case is a synchronous method (they hash
/// passwords and wait on the database), so callers run them off any async executor.
pub struct AuthService {
    pub(crate) users: Arc<dyn UserStore>,
    pub(crate) revocations: Arc<dyn RevocationStore>,
    pub(crate) sessions: Arc<dyn SessionStore>,
    pub(crate) throttles: Arc<dyn ThrottleStore>,
    pub(crate) throttle_policy: ThrottlePolicy,
    pub(crate) hasher: PasswordHasher,
    pub(crate) policy: PasswordPolicy,
    pub(crate) tokens: TokenCodec,
    pub(crate) refresh: RefreshTokenCodec,
    pub(crate) session_policy: SessionPolicy,
    pub(crate) clock: Arc<dyn Clock>,
}

impl AuthService {
    pub fn new(stores: Stores, passwords: Passwords, tokens: Tokens, clock: Arc<dyn Clock>) -> Self {
        Self {
            users: stores.users,
            revocations: stores.revocations,
            sessions: stores.sessions,
            throttles: stores.throttles,
            throttle_policy: ThrottlePolicy::standard(),
            hasher: passwords.hasher,
            policy: passwords.policy,
            tokens: tokens.access,
            refresh: tokens.refresh,
            session_policy: tokens.sessions,
            clock,
        }
    }

    /// Replaces the attempt limits (the standard ones apply until then).
    pub fn with_throttle_policy(mut self, policy: ThrottlePolicy) -> Self {
        self.throttle_policy = policy;
        self
    }

    /// What a new password must satisfy (the API's document states it).
    pub fn password_policy(&self) -> PasswordPolicy {
        self.policy
    }

    /// Whole seconds: both databases and the RFC 3339 output then agree on the value.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now().trunc_subsecs(0)
    }
}
