//! Ed25519 signing keys: made here, kept in the database (sealed with the key-encryption key) so that
//! every instance shares them, rotated once per period however many instances run, published before
//! they sign and until every token they signed has expired, and revoked by hand after a leak.
//!
//! Reading and writing the keys (`KeyRing::refresh`, `rotate`, `revoke`) is I/O, run by the server's
//! key task and the command line; signing and verifying read an immutable snapshot (`KeySet`) and
//! never touch the database.

mod policy;
mod ring;
mod sealing;
mod set;

pub use policy::{KeyInfo, KeyPolicy, KeyState};
pub use ring::KeyRing;
pub use sealing::KeyEncryptionKey;
pub use set::KeySet;

use crate::store_error::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("tokens.key_encryption_key must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)")]
    BadEncryptionKey,
    #[error(
        "signing key {kid} cannot be opened with tokens.key_encryption_key: the key is not the one it was sealed with, or the row was changed"
    )]
    Unsealable { kid: String },
    #[error("signing key {kid} is damaged: {what}")]
    Damaged { kid: String, what: &'static str },
    #[error("the system's random number generator failed")]
    Random,
    #[error("no signing key is in force")]
    NoSigningKey,
    #[error("no signing key has the kid {0}")]
    UnknownKid(String),
    #[error("another instance added a key at the same moment; list the keys and try again")]
    Raced,
    #[error(transparent)]
    Store(#[from] StoreError),
}
