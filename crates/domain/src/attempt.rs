//! Password attempts are counted before anything is hashed: a burst of parallel guesses cannot pass a
//! limit while earlier ones are still hashing, and a refused attempt never waits for a hash slot.

use crate::event::EventKind;
use crate::service::AuthService;
use crate::session::ClientInfo;
use crate::store::StoreError;
use crate::throttle::{LoginSubject, Reserved, ThrottleKey, ThrottleKind, Throttled};

/// What an attempt is, which decides what a success gives back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttemptKind {
    /// A password checked (login, password change, account changes): counted as a failure until it
    /// succeeds; a success clears its (client, email) counter and takes itself off the others.
    Password,
    /// A registration or a password-reset request: every one counts, success or not.
    PerClient,
}

/// An attempt counted under its keys, not yet settled. Settle it with `AuthService::attempt_succeeded`,
/// keep it as counted by dropping it (a failure), or give it back with `AuthService::abandon` when it
/// will not be tried after all (no hash slot, the client gone).
#[derive(Debug)]
#[must_use = "an attempt is settled, kept as a failure, or abandoned"]
pub struct Attempt {
    pub(crate) kind: AttemptKind,
    pub(crate) keys: Vec<ThrottleKey>,
    pub(crate) client: ClientInfo,
}

#[derive(Debug, thiserror::Error)]
pub enum AttemptError {
    /// Past a limit: nothing was counted or tried.
    #[error("too many attempts")]
    Throttled(Throttled),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuthService {
    /// Counts a password attempt against `subject` from `client` (per pair, per email and per client,
    /// as `abuse.*` says), or refuses it when one of those is blocked. A refusal is recorded as one
    /// `login_throttled` event per client, subject and window, however many attempts a flood makes.
    pub(crate) fn count_password_attempt(
        &self,
        subject: LoginSubject,
        client: &ClientInfo,
    ) -> Result<Attempt, AttemptError> {
        let keys = self.throttle_policy.login_keys(&subject, client.ip.as_deref());
        let now = self.now();
        match self.throttles.reserve_attempt(&keys, now)? {
            Reserved::Counted(_) => Ok(Attempt { kind: AttemptKind::Password, keys, client: client.clone() }),
            Reserved::Blocked { until } => {
                tracing::info!("password attempt throttled");
                let window = now.timestamp().div_euclid(self.throttle_policy.window.num_seconds().max(1));
                let ip = client.ip.as_deref().unwrap_or("unknown");
                let aggregate = format!("login_throttled:{ip} {}:{window}", subject.as_str());
                let email = match &subject {
                    LoginSubject::Email(email) => Some(email.as_str()),
                    LoginSubject::Unparsed(_) => None,
                };
                let event = self.event(EventKind::LoginThrottled, None, email, client, None);
                self.events.record_event(&event, Some(&aggregate))?;
                Err(AttemptError::Throttled(Throttled::until(until, now)))
            }
        }
    }

    /// Counts a registration from `client` (`abuse.register_per_ip_per_hour`), or refuses it.
    pub(crate) fn count_registration(&self, client: &ClientInfo) -> Result<Attempt, AttemptError> {
        self.count_per_client(self.throttle_policy.register_key(client.ip.as_deref()), client, "registration")
    }

    /// Counts a password-reset request from `client` (`abuse.forgot_per_ip_per_hour`), or refuses it.
    pub(crate) fn count_reset_request(&self, client: &ClientInfo) -> Result<Attempt, AttemptError> {
        self.count_per_client(self.throttle_policy.forgot_key(client.ip.as_deref()), client, "password reset request")
    }

    fn count_per_client(
        &self,
        key: Option<ThrottleKey>,
        client: &ClientInfo,
        what: &'static str,
    ) -> Result<Attempt, AttemptError> {
        let keys: Vec<_> = key.into_iter().collect();
        if keys.is_empty() {
            return Ok(Attempt { kind: AttemptKind::PerClient, keys, client: client.clone() });
        }
        let now = self.now();
        match self.throttles.reserve_attempt(&keys, now)? {
            Reserved::Counted(_) => Ok(Attempt { kind: AttemptKind::PerClient, keys, client: client.clone() }),
            Reserved::Blocked { until } => {
                tracing::info!(what, "throttled");
                Err(AttemptError::Throttled(Throttled::until(until, now)))
            }
        }
    }

    /// A password attempt that succeeded gives its count back: its (client, email) counter is cleared,
    /// and it no longer counts against the email or the client. A registration or reset request keeps counting.
    pub(crate) fn attempt_succeeded(&self, attempt: Attempt) -> Result<(), StoreError> {
        if attempt.kind == AttemptKind::PerClient || attempt.keys.is_empty() {
            return Ok(());
        }
        let (clear, release): (Vec<ThrottleKey>, Vec<ThrottleKey>) =
            attempt.keys.into_iter().partition(|k| k.kind == ThrottleKind::LoginPair);
        self.throttles.release_attempt(&clear, &release, self.now())
    }

    /// An attempt that will not be tried (no hash slot was free, or its client left) is given back whole.
    pub fn abandon(&self, attempt: Attempt) -> Result<(), StoreError> {
        if attempt.keys.is_empty() {
            return Ok(());
        }
        self.throttles.release_attempt(&[], &attempt.keys, self.now())
    }
}
