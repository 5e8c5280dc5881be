use crate::password::{Password, normalised};
use auth_bcrypt::{Bcrypt, BcryptError, LANES, cost_of};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

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
pub enum HashError {
    #[error(transparent)]
    Bcrypt(#[from] BcryptError),
    #[error("password.bcrypt_cost must be between {min} and {max} (got {0})", min = PasswordHasher::MIN_COST, max = PasswordHasher::MAX_COST)]
    CostOutOfRange(u32),
}

/// bcrypt at a configured cost, plus a hash of a random password at the same cost so that a login for an
/// unknown email does the same work as a wrong password for a known one.
pub struct PasswordHasher {
    cost: u32,
    dummy_hash: PasswordHash,
    /// Verifications run, by the cost of the hash checked (index = cost): the timing defence is that
    /// every login costs the same, so the count is kept where a test can read it.
    verifications: [AtomicU64; 32],
    bcrypt: Bcrypt,
}

impl PasswordHasher {
    pub const MIN_COST: u32 = 4;
    /// Cost 16 takes about 5 s a hash on one core of a small server; bcrypt allows 31, which would take
    /// days, and the dummy hash made here at start-up would keep the service from ever listening.
    pub const MAX_COST: u32 = 16;

    /// Hashing on the calling thread.
    pub fn new(cost: u32) -> Result<Self, HashError> {
        Self::with_bcrypt(cost, Bcrypt::inline())
    }

    /// Hashing where `bcrypt` says (an engine's threads, in the server).
    pub fn with_bcrypt(cost: u32, bcrypt: Bcrypt) -> Result<Self, HashError> {
        if !(Self::MIN_COST..=Self::MAX_COST).contains(&cost) {
            return Err(HashError::CostOutOfRange(cost));
        }
        let random_password = uuid::Uuid::new_v4().to_string();
        let dummy_hash = PasswordHash(bcrypt.hash(random_password.as_bytes(), cost)?);
        Ok(Self { cost, dummy_hash, verifications: Default::default(), bcrypt })
    }

    pub fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        // At most 72 bytes reach bcrypt, which it reads in full (only its NUL terminator is dropped at
        // exactly 72), so its truncating entry point loses nothing; it is also how every stored hash was made.
        let input = bcrypt_input(password.secret().expose_secret().as_bytes());
        Ok(PasswordHash(self.bcrypt.hash(&input, self.cost)?))
    }

    /// Checks `candidate` against `stored`, or against the dummy hash when there is no stored hash.
    /// Either way one bcrypt verification runs; only a real match returns true.
    ///
    /// Passwords are hashed in NFC. Hashes made before that hold the bytes as typed, so a candidate
    /// that NFC changes is also checked as typed. Whether that second check runs depends only on the
    /// candidate, never on the account, so the time taken still says nothing about which emails exist.
    ///
    /// A stored hash whose cost is outside what this service configures (a hand-edited row, a restored
    /// dump from elsewhere: `$31$` would pin a core for hours) is refused without being computed, and
    /// said at ERROR; the dummy hash is checked instead, so the answer takes the usual time.
    pub fn verify(&self, candidate: &SecretString, stored: Option<&PasswordHash>) -> bool {
        let stored = stored.filter(|hash| match cost_of(hash.as_str()) {
            Some(cost) if (Self::MIN_COST..=Self::MAX_COST).contains(&cost) => true,
            cost => {
                tracing::error!(
                    ?cost,
                    min = Self::MIN_COST,
                    max = Self::MAX_COST,
                    "a stored password hash names a cost outside the range this service runs; refused"
                );
                false
            }
        });
        let hash = stored.unwrap_or(&self.dummy_hash);
        let typed = candidate.expose_secret().as_bytes();
        let nfc = normalised(candidate);
        let nfc = nfc.expose_secret().as_bytes();
        let mut matches = self.check(nfc, hash);
        if nfc != typed {
            matches |= self.check(typed, hash);
        }
        // A hash made at a lower cost answers sooner: a wrong password for such an account would tell it
        // apart from an unknown email. One more check at the configured cost evens it out (a right
        // password costs the same again in the rehash that follows it).
        if !matches && stored.is_some_and(|h| self.needs_rehash(h)) {
            self.check(nfc, &self.dummy_hash);
        }
        matches && stored.is_some()
    }

    /// Whether `hash` was made at another cost than the configured one (the login that proves the
    /// password stores a new hash).
    pub fn needs_rehash(&self, hash: &PasswordHash) -> bool {
        cost_of(hash.as_str()) != Some(self.cost)
    }

    /// A new hash of a password that has just been verified (in NFC, as every hash is now made).
    pub fn rehash(&self, verified: &SecretString) -> Result<PasswordHash, HashError> {
        let nfc = normalised(verified);
        Ok(PasswordHash(self.bcrypt.hash(&bcrypt_input(nfc.expose_secret().as_bytes()), self.cost)?))
    }

    /// The engine's batches by size; all 0 when the hashes run on the callers' threads.
    pub fn batches(&self) -> [u64; LANES] {
        self.bcrypt.batches()
    }

    /// How many verifications have run against hashes of `cost`.
    pub fn verifications_at(&self, cost: u32) -> u64 {
        self.verifications.get(cost as usize).map_or(0, |n| n.load(Ordering::Relaxed))
    }

    /// Verifications run at any cost since start.
    pub fn verifications(&self) -> u64 {
        self.verifications.iter().map(|n| n.load(Ordering::Relaxed)).sum()
    }

    /// One bcrypt verification.
    fn check(&self, candidate: &[u8], hash: &PasswordHash) -> bool {
        if let Some(count) = cost_of(hash.as_str()).and_then(|cost| self.verifications.get(cost as usize)) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        self.bcrypt.verify(&bcrypt_input(candidate), hash.as_str())
    }
}

/// bcrypt reads at most 72 bytes. A longer password is replaced by the base64 of its SHA-256 (44
/// bytes, never a NUL) rather than cut, so that every character counts. Passwords over 72 bytes were
/// refused before this, so no stored hash was made another way.
fn bcrypt_input(password: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    use base64::Engine as _;
    use sha2::Digest as _;
    if password.len() <= auth_bcrypt::MAX_KEY_BYTES {
        std::borrow::Cow::Borrowed(password)
    } else {
        let digest = sha2::Sha256::digest(password);
        std::borrow::Cow::Owned(base64::engine::general_purpose::STANDARD.encode(digest).into_bytes())
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
        assert!(bcrypt::verify("correct horse", hash.as_str()).unwrap(), "the bcrypt crate agrees");
        assert!(hasher.verify(&secret("correct horse"), Some(&hash)));
        assert!(!hasher.verify(&secret("correct horsf"), Some(&hash)));
    }

    #[test]
    fn on_an_engine_too() {
        let engine = std::sync::Arc::new(auth_bcrypt::BcryptEngine::start(1).unwrap());
        let hasher = PasswordHasher::with_bcrypt(4, Bcrypt::on(engine)).unwrap();
        let hash = hasher.hash(&Password::new(secret("correct horse"), &PasswordPolicy::default()).unwrap()).unwrap();
        assert!(hasher.verify(&secret("correct horse"), Some(&hash)));
        assert!(!hasher.verify(&secret("correct horse"), None));
        // the dummy hash, the hash, two verifications
        assert_eq!(hasher.batches().iter().sum::<u64>(), 4);
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
        let long = format!("{base}b");
        let hash = hasher.hash(&Password::new(secret(&base), &PasswordPolicy::default()).unwrap()).unwrap();
        assert!(hasher.verify(&secret(&base), Some(&hash)));
        assert!(!hasher.verify(&secret(&long), Some(&hash)));
        // and the other way round: every character of a long password counts
        let hash = hasher.hash(&Password::new(secret(&long), &PasswordPolicy::default()).unwrap()).unwrap();
        assert!(hasher.verify(&secret(&long), Some(&hash)));
        assert!(!hasher.verify(&secret(&base), Some(&hash)));
        assert!(!hasher.verify(&secret(&format!("{base}c")), Some(&hash)));
    }

    #[test]
    fn rejects_an_out_of_range_cost() {
        assert!(matches!(PasswordHasher::new(3), Err(HashError::CostOutOfRange(3))));
        assert!(matches!(PasswordHasher::new(17), Err(HashError::CostOutOfRange(17))));
        assert!(matches!(PasswordHasher::new(31), Err(HashError::CostOutOfRange(31))));
    }

    /// A `$31$` hash would take days to check; one outside the range the service runs is refused
    /// without computing it, and the dummy hash (at the configured cost) is checked instead.
    #[test]
    fn a_stored_cost_outside_the_range_is_refused_without_computing_it() {
        let hasher = PasswordHasher::new(4).unwrap();
        // the right password, at cost 31 and at cost 17 (made cheaply by editing a cost-4 hash: the
        // digest no longer matches, but nothing may compute it anyway)
        let cost4 = bcrypt::hash("correct horse", 4).unwrap();
        for cost in ["31", "17", "03", "xx"] {
            let stored = PasswordHash::from_stored(format!("{}{cost}{}", &cost4[..4], &cost4[6..]));
            let started = std::time::Instant::now();
            assert!(!hasher.verify(&secret("correct horse"), Some(&stored)), "{cost}");
            assert!(started.elapsed() < std::time::Duration::from_secs(5), "not computed at cost {cost}");
        }
        assert_eq!(hasher.verifications_at(31) + hasher.verifications_at(17), 0);
        assert_eq!(hasher.verifications_at(4), 4, "the dummy hash each time");
    }

    #[test]
    fn nfc_and_nfd_spellings_match_and_old_hashes_of_the_typed_form_still_verify() {
        let hasher = PasswordHasher::new(4).unwrap();
        let (composed, decomposed) = ("caf\u{e9} au lait", "cafe\u{301} au lait");
        let hash = hasher.hash(&Password::new(secret(decomposed), &PasswordPolicy::default()).unwrap()).unwrap();
        assert!(hasher.verify(&secret(composed), Some(&hash)));
        assert!(hasher.verify(&secret(decomposed), Some(&hash)));
        // a hash made before normalisation, of the decomposed bytes as typed
        let old = PasswordHash(bcrypt::hash(decomposed, 4).unwrap());
        assert!(hasher.verify(&secret(decomposed), Some(&old)));
        assert!(!hasher.verify(&secret("cafe au lait"), Some(&old)));
    }

    #[test]
    fn a_wrong_password_for_a_cheaper_hash_costs_a_check_at_the_configured_cost_too() {
        let old = PasswordHasher::new(4).unwrap();
        let hash = old.hash(&Password::new(secret("correct horse"), &PasswordPolicy::default()).unwrap()).unwrap();
        let new = PasswordHasher::new(6).unwrap();
        assert!(new.needs_rehash(&hash) && !old.needs_rehash(&hash));
        assert!(!new.verify(&secret("wrong horse"), Some(&hash)));
        assert_eq!((new.verifications_at(4), new.verifications_at(6)), (1, 1));
        assert!(new.verify(&secret("correct horse"), Some(&hash)));
        assert_eq!((new.verifications_at(4), new.verifications_at(6)), (2, 1));
        let rehashed = new.rehash(&secret("correct horse")).unwrap();
        assert!(rehashed.as_str().starts_with("$2b$06$") && !new.needs_rehash(&rehashed));
        assert!(new.verify(&secret("correct horse"), Some(&rehashed)));
    }

    #[test]
    fn debug_hides_hashes() {
        let hasher = PasswordHasher::new(4).unwrap();
        assert_eq!(format!("{hasher:?}"), "PasswordHasher { cost: 4, .. }");
        assert_eq!(format!("{:?}", hasher.dummy_hash), "PasswordHash([REDACTED])");
    }
}
