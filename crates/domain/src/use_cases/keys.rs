use crate::keys::{KeyError, KeyInfo};
use crate::service::AuthService;
use chrono::TimeDelta;

/// The public keys verifiers may use, and how long they may cache them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedKeys {
    /// `(kid, x)`: the key id and the Ed25519 public key, base64url.
    pub keys: Vec<(String, String)>,
    pub max_age: TimeDelta,
}

impl AuthService {
    /// Every published signing key, from the keys in memory. With HS256 there is none: a symmetric key
    /// is never published. An error while no key could be read yet: an empty set would tell verifiers
    /// (who cache it) that no token is valid.
    pub fn published_keys(&self) -> Result<PublishedKeys, KeyError> {
        Ok(match self.tokens.key_ring() {
            Some(ring) => {
                let keys = ring.keys();
                if keys.is_empty() {
                    return Err(KeyError::NoSigningKey);
                }
                let published = keys.published(self.clock.now());
                PublishedKeys {
                    keys: published.into_iter().map(|(kid, x)| (kid.to_owned(), x.to_owned())).collect(),
                    max_age: ring.max_cache_age(),
                }
            }
            None => PublishedKeys { keys: Vec::new(), max_age: TimeDelta::minutes(5) },
        })
    }

    /// Every signing key with its dates (`auth-server keys list`, read now); `None` with HS256.
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

    /// Takes a key out of use (`auth-server keys revoke`): the kid of the key added to sign in its
    /// place, when it was the one signing. `None` with HS256.
    pub fn revoke_signing_key(&self, kid: &str) -> Option<Result<Option<String>, KeyError>> {
        self.tokens.key_ring().map(|ring| {
            let replacement = ring.revoke(kid, self.clock.now())?;
            tracing::warn!(kid, ?replacement, "signing key revoked");
            Ok(replacement)
        })
    }
}
