//! Verifies auth-service's access tokens inside another service, with no call to auth-service per
//! request: the public keys come from its JWKS (`GET /.well-known/jwks.json`), cached as its
//! `Cache-Control` says, fetched again for a `kid` not seen yet (at most once per cooldown), and kept in
//! use for a bounded time when a fetch fails. Tokens are read by the same contract as auth-service reads
//! them (`auth-token`: the header policy, the claims, the `Authorization` header and the refusal
//! messages): EdDSA only, only with a `kid` of the published keys, only from the configured issuer.
//!
//! Local verification cannot see a logout by itself: a revoked token would pass here until it expires.
//! `Verifier::with_revocation_feed` closes that: a thread follows auth-service's revocation feed and
//! `verify` refuses a revoked token or session within about a second of the logout, still with no call
//! per request.
//!
//! With the `actix` feature, `Authenticated` is an actix-web extractor that answers 401 in
//! auth-service's JSON shape with its messages.

#[cfg(feature = "actix")]
pub mod actix;
mod feed;
mod jwks;

pub use feed::{FeedConfig, FeedHealth};

pub use auth_token::{Refusal, VerifiedClaims as Claims};
pub use jwks::{FetchError, Fetched, HttpJwks, JwksSource};

use auth_token::{Algorithm, Verification};
use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::DecodingKey;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// Where the keys are, whose tokens to accept, and how patient to be.
#[derive(Debug, Clone)]
pub struct VerifierConfig {
    /// e.g. `http://auth:8080/.well-known/jwks.json`
    pub jwks_url: String,
    /// The `iss` auth-service puts in its tokens (`tokens.issuer`, default `auth-service`).
    pub issuer: String,
    /// Clock skew tolerated on expiry.
    pub leeway: Duration,
    /// A `kid` not in the cached keys triggers a fetch at most this often.
    pub refetch_cooldown: Duration,
    /// How long keys are fresh when the JWKS response names no `max-age`.
    pub default_max_age: Duration,
    /// When fetches fail, the keys in hand are used for at most this long after the last good fetch
    /// (then every token is refused as unverifiable).
    pub max_stale: Duration,
    /// One fetch's limit.
    pub fetch_timeout: Duration,
}

impl VerifierConfig {
    pub fn new(jwks_url: impl Into<String>, issuer: impl Into<String>) -> Self {
        Self {
            jwks_url: jwks_url.into(),
            issuer: issuer.into(),
            leeway: Duration::ZERO,
            refetch_cooldown: Duration::from_secs(30),
            default_max_age: Duration::from_secs(300),
            max_stale: Duration::from_secs(6 * 3600),
            fetch_timeout: Duration::from_secs(5),
        }
    }
}

/// The time, injected so that expiry and caching can be tested without waiting.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

#[derive(Default)]
struct Keys {
    by_kid: HashMap<String, DecodingKey>,
    fresh_until: Option<DateTime<Utc>>,
    last_good_fetch: Option<DateTime<Utc>>,
}

/// Verifies tokens; share one per process (it is `Send + Sync`, and holds the cached keys).
pub struct Verifier {
    config: VerifierConfig,
    source: Box<dyn JwksSource>,
    clock: Arc<dyn Clock>,
    verification: Verification,
    keys: RwLock<Keys>,
    fetching: Mutex<()>,
    last_attempt: Mutex<Option<DateTime<Utc>>>,
    last_unknown_kid_fetch: Mutex<Option<DateTime<Utc>>>,
    /// With the revocation feed: its live entries.
    feed: Option<Arc<feed::Revocations>>,
}

impl Drop for Verifier {
    fn drop(&mut self) {
        // the feed's thread ends at its next read (a heartbeat comes every 15 s)
        if let Some(feed) = &self.feed {
            feed.stop();
        }
    }
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").field("config", &self.config).finish_non_exhaustive()
    }
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

impl Verifier {
    /// Fetches over HTTP from `config.jwks_url`, on the system clock. Nothing is fetched until the first
    /// token comes.
    pub fn new(config: VerifierConfig) -> Self {
        let source = HttpJwks::new(&config.jwks_url, config.fetch_timeout);
        Self::with_source(config, source, Arc::new(SystemClock))
    }

    pub fn with_source(config: VerifierConfig, source: impl JwksSource + 'static, clock: Arc<dyn Clock>) -> Self {
        let verification = Verification::new(Algorithm::EdDsa, &config.issuer, config.leeway.as_secs());
        Self {
            config,
            source: Box::new(source),
            clock,
            verification,
            keys: RwLock::new(Keys::default()),
            fetching: Mutex::new(()),
            last_attempt: Mutex::new(None),
            last_unknown_kid_fetch: Mutex::new(None),
            feed: None,
        }
    }

    /// Follows auth-service's revocation feed (`config.stream_url`, e.g.
    /// `http://auth:8080/auth/revocations/stream`) on a thread of its own: from then on a token whose
    /// `jti` or session was revoked is refused (`Refusal::Revoked`, "Token blacklisted. Please log in
    /// again."). A feed not heard from for `config.max_stale` is stale: tokens are still verified (a WARN
    /// says so), or with `config.fail_closed` all refused (`Refusal::KeysUnavailable`).
    pub fn with_revocation_feed(mut self, config: FeedConfig) -> std::io::Result<Self> {
        let revocations = Arc::new(feed::Revocations::new(config));
        feed::follow(revocations.clone(), self.clock.clone())?;
        self.feed = Some(revocations);
        Ok(self)
    }

    /// The same with a feed that is not followed (no thread), holding what `entries` (the stream's `data:`
    /// lines) say: for benchmarks and tests of the check itself.
    #[doc(hidden)]
    pub fn with_revocation_entries<'a>(
        mut self,
        config: FeedConfig,
        entries: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let revocations = feed::Revocations::new(config);
        let now = self.clock.now();
        for entry in entries {
            revocations.apply(entry, now);
        }
        revocations.heard_now();
        self.feed = Some(Arc::new(revocations));
        self
    }

    /// The feed's state, when it is followed.
    pub fn feed_health(&self) -> Option<FeedHealth> {
        self.feed.as_ref().map(|feed| feed.health())
    }

    /// Verifies `token`, fetching the keys first when they are missing, stale, or lack the token's
    /// `kid` (a fetch blocks: in async code, see `verify_cached`).
    pub fn verify(&self, token: &str) -> Result<Claims, Refusal> {
        let kid = self.kid_of(token)?;
        let now = self.clock.now();
        if !self.fresh(now) {
            self.refresh(now);
        }
        if !self.knows(&kid) && self.may_fetch_for_unknown_kid(now) {
            self.refresh(now);
        }
        self.check(token, &kid, now)
    }

    /// Verifies `token` with the keys in hand, or `None` when a fetch is needed first (the caller then
    /// runs `verify` where blocking is allowed). Never blocks on the network.
    pub fn verify_cached(&self, token: &str) -> Option<Result<Claims, Refusal>> {
        let kid = match self.kid_of(token) {
            Ok(kid) => kid,
            Err(e) => return Some(Err(e)),
        };
        let now = self.clock.now();
        if !self.fresh(now) {
            return None;
        }
        if !self.knows(&kid) {
            // a fetch for a kid not seen yet, unless one was made within the cooldown
            return (!self.may_fetch_for_unknown_kid_at(now)).then_some(Err(Refusal::Invalid));
        }
        Some(self.check(token, &kid, now))
    }

    fn fresh(&self, now: DateTime<Utc>) -> bool {
        self.read().fresh_until.is_some_and(|until| now < until)
    }

    fn knows(&self, kid: &str) -> bool {
        self.read().by_kid.contains_key(kid)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Keys> {
        self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn may_fetch_for_unknown_kid_at(&self, now: DateTime<Utc>) -> bool {
        let last = self.last_unknown_kid_fetch.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        last.is_none_or(|at| now >= at + delta(self.config.refetch_cooldown))
    }

    fn may_fetch_for_unknown_kid(&self, now: DateTime<Utc>) -> bool {
        let mut last = self.last_unknown_kid_fetch.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_some_and(|at| now < at + delta(self.config.refetch_cooldown)) {
            return false;
        }
        *last = Some(now);
        true
    }

    /// One fetch at a time; the others go on with the keys in hand. A failed fetch is tried again after
    /// a second at the earliest, and the old keys serve until `max_stale` after the last good fetch.
    fn refresh(&self, now: DateTime<Utc>) {
        let Ok(_fetching) = self.fetching.lock() else { return };
        {
            let mut last = self.last_attempt.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if last.is_some_and(|at| now < at + TimeDelta::seconds(1)) && self.fresh(now) {
                return;
            }
            *last = Some(now);
        }
        match self.source.fetch() {
            Ok(fetched) => {
                let by_kid = fetched.keys.into_iter().collect();
                let max_age = fetched.max_age.unwrap_or(self.config.default_max_age);
                let mut keys = self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner);
                *keys = Keys { by_kid, fresh_until: Some(now + delta(max_age)), last_good_fetch: Some(now) };
            }
            Err(e) => {
                let mut keys = self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner);
                let usable = keys.last_good_fetch.is_some_and(|at| now < at + delta(self.config.max_stale));
                if usable {
                    tracing::warn!(error = %e, url = %self.config.jwks_url, "JWKS fetch failed; the keys in hand stay in use");
                    // Stale keys stay in use; another attempt after the cooldown.
                    keys.fresh_until = Some(now + delta(self.config.refetch_cooldown.min(self.config.default_max_age)));
                } else {
                    tracing::error!(error = %e, url = %self.config.jwks_url, "JWKS fetch failed; no usable keys");
                    keys.by_kid.clear();
                    keys.fresh_until = None;
                }
            }
        }
    }

    fn check(&self, token: &str, kid: &str, now: DateTime<Utc>) -> Result<Claims, Refusal> {
        let key = {
            let keys = self.read();
            if keys.last_good_fetch.is_none() || (keys.by_kid.is_empty() && keys.fresh_until.is_none()) {
                return Err(Refusal::KeysUnavailable);
            }
            keys.by_kid.get(kid).cloned().ok_or(Refusal::Invalid)?
        };
        let claims = self.verification.judge(&self.verification.claims(token, &key)?, now)?;
        if let Some(feed) = &self.feed {
            if feed.warn_if_stale() && feed.config.fail_closed {
                return Err(Refusal::KeysUnavailable);
            }
            if feed.is_revoked(&claims.token_id, claims.session_id.as_deref(), now) {
                return Err(Refusal::Revoked);
            }
        }
        Ok(claims)
    }

    /// The `kid` of a token the contract's header policy accepts (EdDSA, a kid, no key-selecting header).
    fn kid_of(&self, token: &str) -> Result<String, Refusal> {
        self.verification.key_id(token)?.ok_or(Refusal::Invalid)
    }
}

/// The README's example, compiled with the tests so that it keeps working.
#[cfg(all(doctest, feature = "actix"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeExample;
