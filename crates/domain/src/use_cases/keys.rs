use crate::service::AuthService;
use crate::signing_keys::{KeyError, KeyInfo};
use chrono::TimeDelta;

/// The public keys verifiers may use, and how long they may cache them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedKeys {
    /// `(kid, x)`: the key id and the Ed25519 public key, base64url.
    pub keys: Vec<(String, String)>,
    pub max_age: TimeDelta,
}

impl AuthService {
    /// Every published signing key. With HS256 there is none: a symmetric key is never published.
    /// An error while the keys cannot be read (the database is unavailable).
    pub fn published_keys(&self) -> Result<PublishedKeys, KeyError> {
        Ok(match self.tokens.key_ring() {
            Some(ring) => PublishedKeys { keys: ring.published(self.clock.now())?, max_age: ring.max_cache_age() },
            None => PublishedKeys { keys: Vec::new(), max_age: TimeDelta::minutes(5) },
        })
    }

    /// Every signing key with its dates (`auth-server keys list`); `None` with HS256.
    pub fn signing_keys(&self) -> Option<Result<Vec<KeyInfo>, KeyError>> {
        self.tokens.key_ring().map(|ring| ring.list(self.clock.now()))
    }

    /// Adds a key that signs after the publish lead (`auth-server keys rotate`); its kid. `None` with HS256.
    pub fn rotate_signing_key(&self) -> Option<Result<String, KeyError>> {
        self.tokens.key_ring().map(|ring| {
            let kid = ring.rotate(self.clock.now())?;
            tracing::info!(kid, "signing key rotated");
            Ok(kid)
        })
    }
}
