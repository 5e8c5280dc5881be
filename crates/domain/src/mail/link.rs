//! The tokens links in emails carry: 32 random bytes, unpadded base64url (43 characters), sent only inside
//! the link. The database keeps only their SHA-256, so a dump of it opens nothing.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use sha2::Digest;
use std::fmt;

/// What a link does when its page is submitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkKind {
    /// Proves the user reads their address.
    Verify,
    /// Sets a new password.
    Reset,
    /// Moves the account to the address the link went to.
    Change,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verify => "verify",
            Self::Reset => "reset",
            Self::Change => "change",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Verify, Self::Reset, Self::Change].into_iter().find(|k| k.as_str() == text)
    }
}

/// A link's token. Never printed: `Debug` shows a placeholder.
pub struct LinkToken(SecretString);

impl fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkToken([REDACTED])")
    }
}

/// The SHA-256 of a link's token, in hex: what the database keeps.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LinkHash(String);

impl LinkHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A hash as stored (the store's rows).
    pub fn from_stored(hex: String) -> Self {
        Self(hex)
    }
}

impl LinkToken {
    pub const BYTES: usize = 32;
    /// Unpadded base64url of 32 bytes.
    pub const CHARS: usize = 43;

    /// A new random token; `None` when the system's random number generator fails.
    pub fn generate() -> Option<Self> {
        let mut bytes = [0u8; Self::BYTES];
        getrandom::fill(&mut bytes).ok()?;
        let token = Self(SecretString::from(URL_SAFE_NO_PAD.encode(bytes)));
        bytes.fill(0);
        Some(token)
    }

    /// A token as a client sent it back: exactly 43 base64url characters that decode to 32 bytes (the
    /// last character carries 4 bits, so only some letters may end a token). Anything else is no token.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != Self::CHARS || !text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return None;
        }
        let decoded = URL_SAFE_NO_PAD.decode(text).ok()?;
        (decoded.len() == Self::BYTES).then(|| Self(SecretString::from(text.to_owned())))
    }

    pub fn hash(&self) -> LinkHash {
        let digest = sha2::Sha256::digest(self.0.expose_secret().as_bytes());
        LinkHash(digest.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The token's text, for the link (and the outbox's sealed copy).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_base64url_characters_of_32_random_bytes() {
        let a = LinkToken::generate().unwrap();
        let b = LinkToken::generate().unwrap();
        assert_eq!(a.expose().len(), 43);
        assert_ne!(a.expose(), b.expose());
        assert_eq!(URL_SAFE_NO_PAD.decode(a.expose()).unwrap().len(), 32);
        assert_eq!(LinkToken::parse(a.expose()).unwrap().hash(), a.hash());
        assert_eq!(format!("{a:?}"), "LinkToken([REDACTED])");
    }

    #[test]
    fn the_hash_is_the_sha256_of_the_text_in_hex() {
        // python3 -c 'import hashlib; print(hashlib.sha256(b"A" * 43).hexdigest())'
        let token = LinkToken::parse(&"A".repeat(43)).unwrap();
        assert_eq!(token.hash().as_str(), "0f007385b6f9d4b7eeb2748605afe1a984a0a3bfa3f014d09e2a784ce9e5cd1a");
    }

    #[test]
    fn anything_but_a_token_is_refused() {
        let valid = "A".repeat(43);
        for bad in [
            String::new(),
            "A".repeat(42),
            "A".repeat(44),
            format!("{}=", "A".repeat(42)),
            format!("{}+", "A".repeat(42)),
            format!("{}/", "A".repeat(42)),
            format!("{} ", "A".repeat(42)),
            format!("{}é", "A".repeat(41)),
            // the last character carries only 4 bits: "B" sets a bit past the 32 bytes
            format!("{}B", "A".repeat(42)),
        ] {
            assert!(LinkToken::parse(&bad).is_none(), "{bad:?}");
        }
        assert!(LinkToken::parse(&valid).is_some());
    }
}
