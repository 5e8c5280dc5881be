//! bcrypt as auth-service computes it: the expensive key schedule (`eksblowfish`), several hashes side
//! by side on each core (`BcryptEngine`), the `$2b$` hash strings, and how many hashes a machine should
//! run at once (`HashCapacity`). It knows nothing of users or passwords policies: the domain crate
//! decides what is hashed and at what cost.

mod eksblowfish;
mod encoding;
mod engine;
mod sizing;

pub use encoding::{BcryptError, MAX_KEY_BYTES, cost_of};
pub use engine::{BcryptEngine, LANES};
pub use sizing::HashCapacity;

use std::sync::Arc;

/// Where bcrypt's cipher work runs: on an engine's threads, side by side with other requests' hashes,
/// or on the calling thread.
#[derive(Debug, Clone, Default)]
pub struct Bcrypt {
    engine: Option<Arc<BcryptEngine>>,
}

impl Bcrypt {
    /// On the calling thread.
    pub fn inline() -> Self {
        Self { engine: None }
    }

    /// On `engine`'s threads.
    pub fn on(engine: Arc<BcryptEngine>) -> Self {
        Self { engine: Some(engine) }
    }

    /// A new `$2b$` hash of `password` (its first 72 bytes, as bcrypt reads them) at `cost`, with a
    /// random salt.
    pub fn hash(&self, password: &[u8], cost: u32) -> Result<String, BcryptError> {
        encoding::hash(password, cost, |salt, key| self.raw(cost, salt, key))
    }

    /// Whether `password` matches `stored`: exactly the hashes the `bcrypt` crate's `verify` accepts
    /// (`$2a$`, `$2b$`, `$2x$`, `$2y$`, costs 4 to 31, canonical base64). Compared in constant time.
    pub fn verify(&self, password: &[u8], stored: &str) -> bool {
        encoding::verify(password, stored, |cost, salt, key| self.raw(cost, salt, key))
    }

    /// The engine's batches by size (index 0: one hash, up to `LANES`); all 0 without an engine.
    pub fn batches(&self) -> [u64; LANES] {
        self.engine.as_ref().map_or([0; LANES], |engine| engine.batches())
    }

    fn raw(&self, cost: u32, salt: [u8; 16], key: &[u8]) -> [u8; 24] {
        self.engine
            .as_ref()
            .and_then(|engine| engine.bcrypt_raw(cost, salt, key))
            .unwrap_or_else(|| eksblowfish::bcrypt_raw(cost, salt, key))
    }
}
