use crate::clock::Clock;
use crate::password::PasswordPolicy;
use crate::password_hasher::PasswordHasher;
use crate::store::{RevocationStore, UserStore};
use crate::token::TokenCodec;
use chrono::{DateTime, SubsecRound, Utc};
use std::sync::Arc;

/// The auth use cases and everything they need. Each use case is a synchronous method (they hash
/// passwords and wait on the database), so callers run them off any async executor.
pub struct AuthService {
    pub(crate) users: Arc<dyn UserStore>,
    pub(crate) revocations: Arc<dyn RevocationStore>,
    pub(crate) hasher: PasswordHasher,
    pub(crate) tokens: TokenCodec,
    pub(crate) policy: PasswordPolicy,
    pub(crate) clock: Arc<dyn Clock>,
}

impl AuthService {
    pub fn new(
        users: Arc<dyn UserStore>,
        revocations: Arc<dyn RevocationStore>,
        hasher: PasswordHasher,
        tokens: TokenCodec,
        policy: PasswordPolicy,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { users, revocations, hasher, tokens, policy, clock }
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
