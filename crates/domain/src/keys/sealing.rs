//! The key-encryption key and what it does: seal a private signing key for the database, and open it.

use super::KeyError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretBox};
use std::fmt;

const NONCE_BYTES: usize = 24;

/// The 32-byte key that seals private signing keys at rest (`tokens.key_encryption_key`, base64), with
/// XChaCha20-Poly1305; each sealed key is bound to its `kid`, so a sealed key moved to another row does
/// not open.
pub struct KeyEncryptionKey(SecretBox<[u8; 32]>);

impl fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyEncryptionKey([REDACTED])")
    }
}

impl KeyEncryptionKey {
    pub fn from_base64(encoded: &str) -> Result<Self, KeyError> {
        let bytes = STANDARD.decode(encoded.trim()).map_err(|_| KeyError::BadEncryptionKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| KeyError::BadEncryptionKey)?;
        Ok(Self(SecretBox::new(Box::new(key))))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(Key::from_slice(self.0.expose_secret()))
    }

    /// `nonce ‖ ciphertext` of `plaintext`, bound to `context` (the `kid` of a signing key).
    pub(crate) fn seal(&self, context: &str, plaintext: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|_| KeyError::Random)?;
        let sealed = self
            .cipher()
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: context.as_bytes() })
            .map_err(|_| KeyError::Random)?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    /// What `seal` sealed for `context`; `None` for anything else (another key, another context, a
    /// changed byte).
    pub(crate) fn open(&self, context: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_BYTES {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        self.cipher().decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: context.as_bytes() }).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEK: &str = "dGVzdC1vbmx5LWtleS1lbmNyeXB0aW9uLWtleS0zMiE=";

    #[test]
    fn opens_only_what_it_sealed_for_the_same_context() {
        let kek = KeyEncryptionKey::from_base64(KEK).unwrap();
        let sealed = kek.seal("kid-1", b"private").unwrap();
        assert_eq!(kek.open("kid-1", &sealed).as_deref(), Some(&b"private"[..]));
        assert_eq!(kek.open("kid-2", &sealed), None);
        let other = KeyEncryptionKey::from_base64("b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktMzI=").unwrap();
        assert_eq!(other.open("kid-1", &sealed), None);
        let mut changed = sealed.clone();
        *changed.last_mut().unwrap() ^= 1;
        assert_eq!(kek.open("kid-1", &changed), None);
        assert_eq!(kek.open("kid-1", &sealed[..10]), None);
        assert_ne!(kek.seal("kid-1", b"private").unwrap(), sealed, "a fresh nonce each time");
    }

    #[test]
    fn needs_32_bytes_of_base64_and_never_prints_them() {
        assert!(KeyEncryptionKey::from_base64("c2hvcnQ=").is_err());
        assert!(KeyEncryptionKey::from_base64("not base64!").is_err());
        let kek = KeyEncryptionKey::from_base64(&format!("  {KEK}\n")).unwrap();
        assert_eq!(format!("{kek:?}"), "KeyEncryptionKey([REDACTED])");
    }
}
