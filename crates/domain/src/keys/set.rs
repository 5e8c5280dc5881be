//! The keys as loaded: an immutable snapshot that signing and verifying read without locking.

use super::policy::{KeyDates, KeyInfo};
use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::{DecodingKey, EncodingKey};

pub(super) struct LoadedKey {
    pub kid: String,
    pub created_at: DateTime<Utc>,
    pub dates: KeyDates,
    /// The public key (32 bytes), base64url, as published.
    pub public_key: String,
    /// `None` for a revoked key: it is never opened again.
    pub encoding: Option<EncodingKey>,
    pub decoding: DecodingKey,
}

/// Every key read at one moment, oldest first, and how long tokens live (a key is published that long
/// after it stopped signing).
pub struct KeySet {
    pub(super) keys: Vec<LoadedKey>,
    pub(super) token_life: TimeDelta,
}

impl KeySet {
    pub(super) fn empty(token_life: TimeDelta) -> Self {
        Self { keys: Vec::new(), token_life }
    }

    /// Whether no key could be read yet (the database was unavailable since start).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key to sign with at `now` and its `kid`: the newest that signs by then. The first key signs
    /// from when it was made; an instance whose clock runs a little behind the one that made it still
    /// signs with it rather than with nothing.
    pub fn signing_key(&self, now: DateTime<Utc>) -> Option<(&str, &EncodingKey)> {
        let usable = || self.keys.iter().filter(|k| k.dates.revoked_at.is_none());
        let key = usable().rev().find(|k| k.dates.signs_from <= now).or_else(|| usable().next())?;
        Some((key.kid.as_str(), key.encoding.as_ref()?))
    }

    /// The key `kid` if tokens it signed are trusted at `now` (published, not retired, not revoked).
    pub fn verifying_key(&self, kid: &str, now: DateTime<Utc>) -> Option<&DecodingKey> {
        let key = self.keys.iter().find(|k| k.kid == kid)?;
        key.dates.state(now, self.token_life).trusted().then_some(&key.decoding)
    }

    /// Whether `kid` is one of the keys read (in any state): an unknown one may be a key another
    /// instance added since.
    pub fn knows(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid == kid)
    }

    /// `(kid, x)` of every key trusted at `now`, for the JWKS.
    pub fn published(&self, now: DateTime<Utc>) -> Vec<(&str, &str)> {
        self.keys
            .iter()
            .filter(|k| k.dates.state(now, self.token_life).trusted())
            .map(|k| (k.kid.as_str(), k.public_key.as_str()))
            .collect()
    }

    /// Every key with its dates and state at `now`, oldest first.
    pub fn list(&self, now: DateTime<Utc>) -> Vec<KeyInfo> {
        self.keys
            .iter()
            .map(|k| KeyInfo {
                kid: k.kid.clone(),
                created_at: k.created_at,
                signs_from: k.dates.signs_from,
                signs_until: k.dates.signs_until,
                retires_at: k.dates.retires_at(self.token_life),
                revoked_at: k.dates.revoked_at,
                state: k.dates.state(now, self.token_life),
            })
            .collect()
    }
}
