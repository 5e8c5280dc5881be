use crate::password::{MAX_PASSWORD_BYTES, Password};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// A bcrypt hash as stored in `users.password`.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn from_stored(hash: String) -> Self {
        Self(hash)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash([REDACTED])")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(#[from] bcrypt::BcryptError);

/// bcrypt at a configured cost, plus a hash of a random password at the same cost so that a login for an
/// unknown email does the same work as a wrong password for a known one.
pub struct PasswordHasher {
    cost: u32,
    dummy_hash: PasswordHash,
}

impl PasswordHasher {
    pub const MIN_COST: u32 = 4;
    pub const MAX_COST: u32 = 31;

    pub fn new(cost: u32) -> Result<Self, HashError> {
        let random_password = uuid::Uuid::new_v4().to_string();
        let dummy_hash = PasswordHash(bcrypt::hash(random_password, cost)?);
        Ok(Self { cost, dummy_hash })
    }

    pub fn cost(&self) -> u32 {
        self.cost
    }

    pub fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        // `Password` guarantees at most 72 bytes, which bcrypt reads in full (only its NUL terminator is
        // dropped at exactly 72), so the truncating entry point loses nothing here.
        let hash = bcrypt::hash(password.secret().expose_secret(), self.cost)?;
        Ok(PasswordHash(hash))
    }

    /// Checks `candidate` against `stored`, or against the dummy hash when there is no stored hash.
    /// Either way one bcrypt verification runs; only a real match returns true.
    pub fn verify(&self, candidate: &SecretString, stored: Option<&PasswordHash>) -> bool {
        let hash = stored.unwrap_or(&self.dummy_hash);
        let candidate = candidate.expose_secret().as_bytes();
        // Registration refuses passwords over 72 bytes, so a longer candidate can never be right; it is
        // still checked (truncated) so the answer takes as long as any other.
        let too_long = candidate.len() > MAX_PASSWORD_BYTES;
        let matches = bcrypt::verify(candidate, hash.as_str()).unwrap_or(false);
        matches && stored.is_some() && !too_long
    }
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher").field("cost", &self.cost).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::password::PasswordPolicy;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn hashes_at_the_configured_cost_and_verifies() {
        let hasher = PasswordHasher::new(4).unwrap();
        let password = Password::new(secret("correct horse"), &PasswordPolicy::default()).unwrap();
        let hash = hasher.hash(&password).unwrap();
        assert!(hash.as_str().starts_with("$2b$04$"), "{}", hash.as_str());
        assert!(hasher.verify(&secret("correct horse"), Some(&hash)));
        assert!(!hasher.verify(&secret("correct horsf"), Some(&hash)));
    }

    #[test]
    fn the_dummy_hash_never_matches() {
        let hasher = PasswordHasher::new(4).unwrap();
        assert!(hasher.dummy_hash.as_str().starts_with("$2b$04$"));
        assert!(!hasher.verify(&secret("anything"), None));
        assert!(!hasher.verify(&secret(""), None));
    }

    #[test]
    fn a_password_sharing_the_first_72_bytes_does_not_match() {
        let hasher = PasswordHasher::new(4).unwrap();
        let base = "a".repeat(72);
        let hash = hasher.hash(&Password::new(secret(&base), &PasswordPolicy::default()).unwrap()).unwrap();
        assert!(hasher.verify(&secret(&base), Some(&hash)));
        assert!(!hasher.verify(&secret(&format!("{base}b")), Some(&hash)));
    }

    #[test]
    fn rejects_an_out_of_range_cost() {
        assert!(PasswordHasher::new(3).is_err());
        assert!(PasswordHasher::new(32).is_err());
    }

    #[test]
    fn debug_hides_hashes() {
        let hasher = PasswordHasher::new(4).unwrap();
        assert_eq!(format!("{hasher:?}"), "PasswordHasher { cost: 4, .. }");
        assert_eq!(format!("{:?}", hasher.dummy_hash), "PasswordHash([REDACTED])");
    }
}
