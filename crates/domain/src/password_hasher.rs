use crate::bcrypt_engine::BcryptEngine;
use crate::eksblowfish::{bcrypt_key, bcrypt_raw};
use crate::password::{Password, normalised};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::sync::Arc;
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
    #[error("no random salt: {0}")]
    Random(getrandom::Error),
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
    /// Where the cipher work runs: on the engine's threads, side by side with other requests' hashes,
    /// or (without one, as in most tests) on the calling thread.
    engine: Option<Arc<BcryptEngine>>,
}

impl PasswordHasher {
    pub const MIN_COST: u32 = 4;
    /// Cost 16 takes about 5 s a hash on one core of a small server; bcrypt allows 31, which would take
    /// days, and the dummy hash made here at start-up would keep the service from ever listening.
    pub const MAX_COST: u32 = 16;

    pub fn new(cost: u32) -> Result<Self, HashError> {
        if !(Self::MIN_COST..=Self::MAX_COST).contains(&cost) {
            return Err(HashError::CostOutOfRange(cost));
        }
        let random_password = uuid::Uuid::new_v4().to_string();
        let dummy_hash = bcrypt_hash(random_password.as_bytes(), cost, None)?;
        Ok(Self { cost, dummy_hash, verifications: Default::default(), engine: None })
    }

    /// Hashes on `engine`'s threads from now on.
    pub fn with_engine(mut self, engine: Arc<BcryptEngine>) -> Self {
        self.engine = Some(engine);
        self
    }

    pub fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        // At most 72 bytes reach bcrypt, which it reads in full (only its NUL terminator is dropped at
        // exactly 72), so its truncating entry point loses nothing; it is also how every stored hash was made.
        bcrypt_hash(&bcrypt_input(password.secret().expose_secret().as_bytes()), self.cost, self.engine.as_deref())
    }

    /// Checks `candidate` against `stored`, or against the dummy hash when there is no stored hash.
    /// Either way one bcrypt verification runs; only a real match returns true.
    ///
    /// Passwords are hashed in NFC. Hashes made before that hold the bytes as typed, so a candidate
    /// that NFC changes is also checked as typed. Whether that second check runs depends only on the
    /// candidate, never on the account, so the time taken still says nothing about which emails exist.
    pub fn verify(&self, candidate: &SecretString, stored: Option<&PasswordHash>) -> bool {
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
        hash_cost(hash) != Some(self.cost)
    }

    /// A new hash of a password that has just been verified (in NFC, as every hash is now made).
    pub fn rehash(&self, verified: &SecretString) -> Result<PasswordHash, HashError> {
        let nfc = normalised(verified);
        bcrypt_hash(&bcrypt_input(nfc.expose_secret().as_bytes()), self.cost, self.engine.as_deref())
    }

    /// The engine's batches by size (`BcryptEngine::batches`); all 0 without an engine.
    pub fn batches(&self) -> [u64; BcryptEngine::LANES] {
        self.engine.as_ref().map_or([0; BcryptEngine::LANES], |engine| engine.batches())
    }

    /// How many verifications have run against hashes of `cost`.
    pub fn verifications_at(&self, cost: u32) -> u64 {
        self.verifications.get(cost as usize).map_or(0, |n| n.load(Ordering::Relaxed))
    }

    /// One bcrypt verification.
    fn check(&self, candidate: &[u8], hash: &PasswordHash) -> bool {
        if let Some(count) = hash_cost(hash).and_then(|cost| self.verifications.get(cost as usize)) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        bcrypt_verify(&bcrypt_input(candidate), hash.as_str(), self.engine.as_deref())
    }
}

/// bcrypt reads at most 72 bytes. A longer password is replaced by the base64 of its SHA-256 (44
/// bytes, never a NUL) rather than cut, so that every character counts. Passwords over 72 bytes were
/// refused before this, so no stored hash was made another way.
fn bcrypt_input(password: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    use base64::Engine as _;
    use sha2::Digest as _;
    if password.len() <= BCRYPT_MAX_BYTES {
        std::borrow::Cow::Borrowed(password)
    } else {
        let digest = sha2::Sha256::digest(password);
        std::borrow::Cow::Owned(base64::engine::general_purpose::STANDARD.encode(digest).into_bytes())
    }
}

const BCRYPT_MAX_BYTES: usize = 72;

/// bcrypt's own base64: `./A-Za-z0-9`, no padding.
const BCRYPT_BASE64: base64::engine::GeneralPurpose =
    base64::engine::GeneralPurpose::new(&base64::alphabet::BCRYPT, base64::engine::general_purpose::NO_PAD);

/// bcrypt's cipher work, on the engine's threads when there is one.
fn cipher(engine: Option<&BcryptEngine>, cost: u32, salt: [u8; 16], key: &[u8]) -> [u8; 24] {
    engine.and_then(|engine| engine.bcrypt_raw(cost, salt, key)).unwrap_or_else(|| bcrypt_raw(cost, salt, key))
}

/// A new `$2b$` hash with a random salt, in the format the `bcrypt` crate writes.
fn bcrypt_hash(password: &[u8], cost: u32, engine: Option<&BcryptEngine>) -> Result<PasswordHash, HashError> {
    use base64::Engine as _;
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(HashError::Random)?;
    let (key, len) = bcrypt_key(password);
    let digest = cipher(engine, cost, salt, &key[..len]);
    Ok(PasswordHash(format!("$2b${cost:02}${}{}", BCRYPT_BASE64.encode(salt), BCRYPT_BASE64.encode(&digest[..23]))))
}

/// Whether `password` matches a stored hash. The `bcrypt` crate parses it (any of `$2a$`, `$2b$`,
/// `$2x$`, `$2y$`, 60 characters, canonical base64), so exactly the hashes its `verify` accepts match.
fn bcrypt_verify(password: &[u8], stored: &str, engine: Option<&BcryptEngine>) -> bool {
    use base64::Engine as _;
    use subtle::ConstantTimeEq as _;
    let Ok(parts) = stored.parse::<bcrypt::HashParts>() else {
        return false;
    };
    let mut expected = [0u8; 23];
    let decoded = stored.get(29..).map(|hash| BCRYPT_BASE64.decode_slice(hash, &mut expected));
    if !(BCRYPT_MIN_COST..=BCRYPT_MAX_COST).contains(&parts.get_cost()) || decoded != Some(Ok(23)) {
        return false;
    }
    let (key, len) = bcrypt_key(password);
    let digest = cipher(engine, parts.get_cost(), parts.get_salt_raw(), &key[..len]);
    digest[..23].ct_eq(&expected).into()
}

/// The costs bcrypt itself accepts in a stored hash.
const BCRYPT_MIN_COST: u32 = 4;
const BCRYPT_MAX_COST: u32 = 31;

/// The cost a bcrypt hash was made with: `$2b$12$...` is 12.
fn hash_cost(hash: &PasswordHash) -> Option<u32> {
    hash.as_str().split('$').nth(2)?.parse().ok()
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

    /// Openwall's crypt_blowfish test vectors (also checked here against the system's libxcrypt), and
    /// one from an online tool the `bcrypt` crate tests with.
    const KNOWN_HASHES: [(&str, &[u8]); 6] = [
        ("$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", b"U*U"),
        ("$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK", b"U*U*"),
        ("$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a", b"U*U*U"),
        (
            "$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui",
            b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789chars after 72 are ignored",
        ),
        ("$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy", b""),
        ("$2a$04$UuTkLRZZ6QofpDOlMz32MuuxEHA43WOemOYHPz6.SjsVsyO1tDU96", b"password"),
    ];

    #[test]
    fn verifies_the_known_test_vectors_and_nothing_else() {
        for (hash, password) in KNOWN_HASHES {
            assert!(bcrypt_verify(password, hash, None), "{hash}");
            assert!(!bcrypt_verify(b"U*U*U*", hash, None), "{hash}");
            // every prefix bcrypt knows computes the same
            for version in ["$2b$", "$2x$", "$2y$"] {
                assert!(bcrypt_verify(password, &format!("{version}{}", &hash[4..]), None), "{version}{hash}");
            }
        }
    }

    /// The same vectors through the engine, from several threads at once, so they share batches.
    #[test]
    fn the_engine_verifies_the_known_test_vectors_and_nothing_else() {
        let engine = BcryptEngine::start(1).unwrap();
        std::thread::scope(|scope| {
            for (hash, password) in KNOWN_HASHES {
                let engine = &engine;
                scope.spawn(move || {
                    assert!(bcrypt_verify(password, hash, Some(engine)), "{hash}");
                    assert!(!bcrypt_verify(b"U*U*U*", hash, Some(engine)), "{hash}");
                });
            }
        });
        let hasher = PasswordHasher::new(4).unwrap().with_engine(Arc::new(engine));
        let password = Password::new(secret("correct horse"), &PasswordPolicy::default()).unwrap();
        let hash = hasher.hash(&password).unwrap();
        assert!(bcrypt::verify("correct horse", hash.as_str()).unwrap());
        assert!(hasher.verify(&secret("correct horse"), Some(&hash)));
        assert!(!hasher.verify(&secret("correct horsf"), Some(&hash)));
        assert!(!hasher.verify(&secret("correct horse"), None));
        let batches = hasher.engine.as_ref().unwrap().batches();
        assert_eq!(batches.iter().zip(1..).map(|(n, size)| n * size).sum::<u64>(), 12 + 4, "{batches:?}");
    }

    #[test]
    fn refuses_what_the_bcrypt_crate_refuses() {
        let (good, password) = KNOWN_HASHES[0];
        let malformed = [
            "".to_owned(),
            good[..59].to_owned(),
            format!("{good}."),
            good.replacen("$2a$", "$2c$", 1),
            good.replacen("$05$", "$03$", 1),
            good.replacen("$05$", "$xx$", 1),
            // the last character's unused bits set: not the canonical encoding
            format!("{}f", &good[..59]),
            format!("{}é", &good[..58]),
        ];
        for hash in &malformed {
            assert!(!bcrypt_verify(password, hash, None), "{hash}");
            assert!(!bcrypt::verify(password, hash).unwrap_or(false), "{hash}");
        }
    }

    #[test]
    fn makes_hashes_the_bcrypt_crate_verifies_and_verifies_the_crates() {
        for password in [&b"a"[..], b"correct horse", &[0xff; 72], b"\xc3\xa9t\xc3\xa9"] {
            let ours = bcrypt_hash(password, 4, None).unwrap();
            assert!(ours.as_str().starts_with("$2b$04$") && ours.as_str().len() == 60);
            assert!(bcrypt::verify(password, ours.as_str()).unwrap());
            let theirs = bcrypt::hash(password, 5).unwrap();
            assert!(bcrypt_verify(password, &theirs, None));
            assert!(!bcrypt_verify(b"another", &theirs, None));
        }
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
