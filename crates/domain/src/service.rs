use crate::account_store::{AccountStore, OutboxStore};
use crate::clock::Clock;
use crate::event::{EventKind, NewEvent};
use crate::feed::FeedStore;
use crate::mail::{MailPolicy, MailSealer, MailWaker};
use crate::password::PasswordPolicy;
use crate::password_hasher::PasswordHasher;
use crate::session::{ClientInfo, SessionId};
use crate::session::{RefreshTokenCodec, SessionPolicy};
use crate::store::{EventStore, RevocationStore, SessionStore, ThrottleStore, UserStore};
use crate::throttle::{ThrottlePolicy, UnparsedText};
use crate::token::TokenCodec;
use crate::user::UserId;
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The stores the use cases need; one database implements them all.
#[derive(Clone)]
pub struct Stores {
    pub users: Arc<dyn UserStore>,
    pub revocations: Arc<dyn RevocationStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub throttles: Arc<dyn ThrottleStore>,
    pub events: Arc<dyn EventStore>,
    pub accounts: Arc<dyn AccountStore>,
    pub outbox: Arc<dyn OutboxStore>,
    pub feed: Arc<dyn FeedStore>,
}

impl Stores {
    pub fn all<S>(store: Arc<S>) -> Self
    where
        S: UserStore
            + RevocationStore
            + SessionStore
            + ThrottleStore
            + EventStore
            + AccountStore
            + OutboxStore
            + FeedStore
            + 'static,
    {
        Self {
            users: store.clone(),
            revocations: store.clone(),
            sessions: store.clone(),
            throttles: store.clone(),
            events: store.clone(),
            accounts: store.clone(),
            outbox: store.clone(),
            feed: store,
        }
    }
}

/// How the service mails (`email.*`): the policy, the key that seals links in the outbox (`None` only
/// when mail is off), and whom to wake when a row is queued.
#[derive(Debug, Clone)]
pub struct Mail {
    pub policy: MailPolicy,
    pub sealer: Option<MailSealer>,
    pub waker: MailWaker,
}

impl Mail {
    /// No email: what needs one is refused.
    pub fn off() -> Self {
        Self { policy: MailPolicy::standard(false), sealer: None, waker: MailWaker::default() }
    }
}

/// How passwords are hashed and checked.
pub struct Passwords {
    pub hasher: PasswordHasher,
    pub policy: PasswordPolicy,
}

/// How tokens are made: access tokens, refresh tokens, and how long sessions live; and how text typed
/// into an email field that is not an address is masked before it is counted (a key of the server's
/// secret, like the refresh tokens').
pub struct Tokens {
    pub access: TokenCodec,
    pub refresh: RefreshTokenCodec,
    pub sessions: SessionPolicy,
    pub unparsed: UnparsedText,
}

/// The auth use cases and everything they need. Each use case is a synchronous method (they hash
/// passwords and wait on the database), so callers run them off any async executor.
pub struct AuthService {
    pub(crate) users: Arc<dyn UserStore>,
    pub(crate) revocations: Arc<dyn RevocationStore>,
    pub(crate) sessions: Arc<dyn SessionStore>,
    pub(crate) throttles: Arc<dyn ThrottleStore>,
    pub(crate) events: Arc<dyn EventStore>,
    pub(crate) accounts: Arc<dyn AccountStore>,
    pub(crate) outbox: Arc<dyn OutboxStore>,
    pub(crate) feed: Arc<dyn FeedStore>,
    pub(crate) mail: Mail,
    pub(crate) throttle_policy: ThrottlePolicy,
    pub(crate) audit_retention: TimeDelta,
    /// Hashes replaced at the configured cost since start (for the metrics).
    pub(crate) rehashes: AtomicU64,
    pub(crate) hasher: PasswordHasher,
    pub(crate) policy: PasswordPolicy,
    pub(crate) tokens: TokenCodec,
    pub(crate) refresh: RefreshTokenCodec,
    pub(crate) session_policy: SessionPolicy,
    pub(crate) unparsed: UnparsedText,
    pub(crate) clock: Arc<dyn Clock>,
}

impl AuthService {
    pub fn new(stores: Stores, passwords: Passwords, tokens: Tokens, clock: Arc<dyn Clock>) -> Self {
        Self {
            users: stores.users,
            revocations: stores.revocations,
            sessions: stores.sessions,
            throttles: stores.throttles,
            events: stores.events,
            accounts: stores.accounts,
            outbox: stores.outbox,
            feed: stores.feed,
            mail: Mail::off(),
            throttle_policy: ThrottlePolicy::standard(),
            audit_retention: TimeDelta::days(90),
            rehashes: AtomicU64::new(0),
            hasher: passwords.hasher,
            policy: passwords.policy,
            tokens: tokens.access,
            refresh: tokens.refresh,
            session_policy: tokens.sessions,
            unparsed: tokens.unparsed,
            clock,
        }
    }

    /// Turns email on (or sets how it works); until then it is off.
    pub fn with_mail(mut self, mail: Mail) -> Self {
        self.mail = mail;
        self
    }

    /// The mail policy (the API's pages and the sender read it).
    pub fn mail_policy(&self) -> MailPolicy {
        self.mail.policy
    }

    /// Replaces the attempt limits (the standard ones apply until then).
    pub fn with_throttle_policy(mut self, policy: ThrottlePolicy) -> Self {
        self.throttle_policy = policy;
        self
    }

    /// The access-token codec, for tests that need a token of a given time (a service whose clock read
    /// that time would have issued it).
    #[cfg(any(test, feature = "test-util"))]
    pub fn token_codec(&self) -> &TokenCodec {
        &self.tokens
    }

    /// How many stored hashes logins replaced at the configured cost since this service started.
    pub fn rehashes(&self) -> u64 {
        self.rehashes.load(Ordering::Relaxed)
    }

    /// bcrypt batches computed since this service started, by how many hashes they held (1 to
    /// `auth_bcrypt::LANES`); all 0 when the hashes run on the callers' threads.
    pub fn bcrypt_batches(&self) -> [u64; auth_bcrypt::LANES] {
        self.hasher.batches()
    }

    /// bcrypt verifications run since start (every login, password check and the dummy hash's).
    pub fn password_verifications(&self) -> u64 {
        self.hasher.verifications()
    }

    /// How long security events are kept (`audit.retention_days`; 90 until then).
    pub fn with_audit_retention(mut self, retention: TimeDelta) -> Self {
        self.audit_retention = retention;
        self
    }

    /// What a new password must satisfy (the API's document states it).
    pub fn password_policy(&self) -> PasswordPolicy {
        self.policy
    }

    /// An event of `kind` happening now.
    pub(crate) fn event(
        &self,
        kind: EventKind,
        user_id: Option<UserId>,
        email: Option<&str>,
        client: &ClientInfo,
        session_id: Option<SessionId>,
    ) -> NewEvent {
        NewEvent { at: self.now(), kind, user_id, email: email.map(str::to_owned), client: client.clone(), session_id }
    }

    /// Whole seconds: both databases and the RFC 3339 output then agree on the value.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now().trunc_subsecs(0)
    }
}
