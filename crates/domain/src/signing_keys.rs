//! Ed25519 signing keys: made here, kept in the database (sealed with the key-encryption key) so that
//! every instance shares them, rotated once per period however many instances run, published before
//! they sign and until every token they signed has expired.

use crate::store_error::StoreError;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{DecodingKey, EncodingKey};
use secrecy::{ExposeSecret, SecretBox};
use std::fmt;
use std::sync::{Arc, Mutex, RwLock};

const NONCE_BYTES: usize = 24;

/// The 32-byte key that seals private signing keys at rest (`tokens.key_encryption_key`, base64).
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

    /// `nonce ‖ ciphertext`, bound to `kid` (a sealed key moved to another row does not open).
    fn seal(&self, kid: &str, plaintext: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|_| KeyError::Random)?;
        let sealed = self
            .cipher()
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: kid.as_bytes() })
            .map_err(|_| KeyError::Random)?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    fn open(&self, kid: &str, sealed: &[u8]) -> Result<Vec<u8>, KeyError> {
        if sealed.len() < NONCE_BYTES {
            return Err(KeyError::Unsealable { kid: kid.to_owned() });
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        self.cipher()
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: kid.as_bytes() })
            .map_err(|_| KeyError::Unsealable { kid: kid.to_owned() })
    }
}

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
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A signing key as stored. `previous_kid` is the key it follows ("" for the first): unique, so of two
/// instances rotating at once exactly one adds its key.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub kid: String,
    pub previous_kid: String,
    pub created_at: DateTime<Utc>,
    pub signs_from: DateTime<Utc>,
    /// The public key (32 bytes), base64url.
    pub public_key: String,
    /// `nonce ‖ XChaCha20-Poly1305(PKCS#8 private key)`, base64.
    pub sealed_private_key: String,
}

impl StoredKey {
    /// The event a store writes with this key when it follows another (the first key is no rotation).
    pub fn rotation_event(&self) -> Option<crate::event::NewEvent> {
        (!self.previous_kid.is_empty())
            .then(|| crate::event::NewEvent::system(crate::event::EventKind::KeyRotated, self.created_at))
    }
}

impl fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("previous_kid", &self.previous_kid)
            .field("created_at", &self.created_at)
            .field("signs_from", &self.signs_from)
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

pub trait KeyStore: Send + Sync {
    /// Every signing key, oldest first.
    fn signing_keys(&self) -> Result<Vec<StoredKey>, StoreError>;

    /// Adds the key unless another already follows `key.previous_kid`; whether it was added. A key that
    /// follows another is a rotation: a `key_rotated` event is stored with it, in one transaction.
    fn add_signing_key(&self, key: &StoredKey) -> Result<bool, StoreError>;
}

/// `tokens.key_*` settings, and how long a token lives (a key stays published that long after it
/// stopped signing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPolicy {
    /// `None`: keys are rotated only by `auth-server keys rotate`.
    pub rotation: Option<TimeDelta>,
    pub publish_lead: TimeDelta,
    pub refresh: TimeDelta,
    pub token_life: TimeDelta,
}

/// What `keys list` shows of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub kid: String,
    pub created_at: DateTime<Utc>,
    pub signs_from: DateTime<Utc>,
    pub signs_until: Option<DateTime<Utc>>,
    pub retires_at: Option<DateTime<Utc>>,
    pub state: KeyState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Published, signing later.
    Next,
    Signing,
    /// Published for the tokens it signed.
    Verifying,
    Retired,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Next => "next",
            Self::Signing => "signing",
            Self::Verifying => "verifying",
            Self::Retired => "retired",
        }
    }
}

struct LoadedKey {
    kid: String,
    created_at: DateTime<Utc>,
    signs_from: DateTime<Utc>,
    signs_until: Option<DateTime<Utc>>,
    public_key: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl LoadedKey {
    fn retires_at(&self, token_life: TimeDelta) -> Option<DateTime<Utc>> {
        self.signs_until.map(|until| until + token_life)
    }

    fn state(&self, now: DateTime<Utc>, token_life: TimeDelta) -> KeyState {
        if self.signs_from > now {
            KeyState::Next
        } else if self.signs_until.is_none_or(|until| now < until) {
            KeyState::Signing
        } else if self.retires_at(token_life).is_some_and(|retires| now < retires) {
            KeyState::Verifying
        } else {
            KeyState::Retired
        }
    }
}

struct Loaded {
    keys: Vec<LoadedKey>,
}

/// The keys this instance signs and verifies with, re-read from the database every `refresh`, and at
/// most once per `refresh` for a `kid` it does not know (so a flood of made-up `kid`s is no flood of reads).
pub struct KeyRing {
    store: Arc<dyn KeyStore>,
    kek: KeyEncryptionKey,
    policy: KeyPolicy,
    loaded: RwLock<Arc<Loaded>>,
    /// When the keys were last read (or a read last failed).
    read_at: Mutex<DateTime<Utc>>,
    reloading: Mutex<()>,
    /// When a read outside the schedule (an unknown kid, or no key read yet) last happened.
    forced_read: Mutex<Option<DateTime<Utc>>>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing").field("policy", &self.policy).finish_non_exhaustive()
    }
}

impl KeyRing {
    /// Reads the keys (making the first, or the next when rotation is due) and opens every one: a key
    /// the key-encryption key cannot open is an error here, at start-up, not at the first request.
    /// A database that cannot be reached is no error here: the service starts, answers 503 where it
    /// needs a key, and reads them as soon as it can (at most once a second until then).
    pub fn load(
        store: Arc<dyn KeyStore>,
        kek: KeyEncryptionKey,
        policy: KeyPolicy,
        now: DateTime<Utc>,
    ) -> Result<Self, KeyError> {
        let empty = Arc::new(Loaded { keys: Vec::new() });
        let ring = Self {
            store,
            kek,
            policy,
            loaded: RwLock::new(empty),
            read_at: Mutex::new(now),
            reloading: Mutex::new(()),
            forced_read: Mutex::new(None),
        };
        match ring.reload(now) {
            Err(KeyError::Store(StoreError::Unavailable(e))) => {
                tracing::warn!(error = %e, "signing keys not read: the database is unavailable; reading them when it is");
                Ok(ring)
            }
            other => other.map(|()| ring),
        }
    }

    fn current(&self) -> Arc<Loaded> {
        self.loaded.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Rotates when due (once however many instances try), then reads and opens every key.
    fn reload(&self, now: DateTime<Utc>) -> Result<(), KeyError> {
        let mut rows = self.store.signing_keys()?;
        let due = match rows.last() {
            None => Some(now),
            Some(latest) => self
                .policy
                .rotation
                .filter(|period| now + self.policy.publish_lead >= latest.signs_from + *period)
                .map(|_| now + self.policy.publish_lead),
        };
        if let Some(signs_from) = due {
            let previous = rows.last().map_or(String::new(), |k| k.kid.clone());
            if self.store.add_signing_key(&self.generate(previous, now, signs_from)?)? {
                tracing::info!("signing key added");
            }
            rows = self.store.signing_keys()?;
        }
        let keys = self.open_all(rows)?;
        *self.loaded.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(Loaded { keys });
        *self.read_at.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = now;
        Ok(())
    }

    fn generate(
        &self,
        previous_kid: String,
        now: DateTime<Utc>,
        signs_from: DateTime<Utc>,
    ) -> Result<StoredKey, KeyError> {
        // Whole seconds, as every time the service stores and as tokens' iat.
        let (now, signs_from) = (now.trunc_subsecs(0), signs_from.trunc_subsecs(0));
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|_| KeyError::Random)?;
        let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
        seed.fill(0);
        let public = signing.verifying_key().to_bytes();
        let kid = URL_SAFE_NO_PAD.encode(&sha2_digest(&public)[..16]);
        let der = signing.to_pkcs8_der().map_err(|_| KeyError::Random)?;
        let sealed = self.kek.seal(&kid, der.as_bytes())?;
        Ok(StoredKey {
            kid,
            previous_kid,
            created_at: now,
            signs_from,
            public_key: URL_SAFE_NO_PAD.encode(public),
            sealed_private_key: STANDARD.encode(sealed),
        })
    }

    fn open_all(&self, mut rows: Vec<StoredKey>) -> Result<Vec<LoadedKey>, KeyError> {
        rows.sort_by_key(|k| k.signs_from);
        let until: Vec<Option<DateTime<Utc>>> =
            rows.iter().skip(1).map(|k| Some(k.signs_from)).chain(std::iter::once(None)).collect();
        rows.into_iter()
            .zip(until)
            .map(|(row, signs_until)| {
                let damaged = |what| KeyError::Damaged { kid: row.kid.clone(), what };
                let sealed = STANDARD.decode(&row.sealed_private_key).map_err(|_| damaged("private key not base64"))?;
                let der = self.kek.open(&row.kid, &sealed)?;
                let public =
                    URL_SAFE_NO_PAD.decode(&row.public_key).map_err(|_| damaged("public key not base64url"))?;
                if public.len() != 32 {
                    return Err(damaged("public key not 32 bytes"));
                }
                Ok(LoadedKey {
                    encoding: EncodingKey::from_ed_der(&der),
                    decoding: DecodingKey::from_ed_der(&public),
                    kid: row.kid,
                    created_at: row.created_at,
                    signs_from: row.signs_from,
                    signs_until,
                    public_key: row.public_key,
                })
            })
            .collect()
    }

    /// Re-reads the keys when `refresh` has passed; one caller reads, the others go on with what is
    /// loaded. A failed read keeps the keys it has (and is tried again after `refresh`).
    fn refresh_if_due(&self, now: DateTime<Utc>) {
        let due = |ring: &Self| {
            now >= *ring.read_at.lock().unwrap_or_else(std::sync::PoisonError::into_inner) + ring.policy.refresh
        };
        if !due(self) {
            return;
        }
        let Ok(_reading) = self.reloading.try_lock() else { return };
        if !due(self) {
            return;
        }
        if let Err(e) = self.reload(now) {
            tracing::warn!(error = %e, "signing keys could not be re-read; the loaded ones stay in use");
            *self.read_at.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = now;
        }
    }

    /// With no key read yet (the database was unavailable), tries again, at most once a second.
    fn ensure_loaded(&self, now: DateTime<Utc>) -> Result<(), KeyError> {
        if !self.current().keys.is_empty() {
            return Ok(());
        }
        {
            let mut last = self.forced_read.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if last.is_some_and(|at| now < at + TimeDelta::seconds(1)) {
                return Err(KeyError::NoSigningKey);
            }
            *last = Some(now);
        }
        self.reload(now).inspect_err(|e| tracing::warn!(error = %e, "signing keys still unavailable"))
    }

    /// The key to sign with now, and its `kid`.
    pub(crate) fn signing_key(&self, now: DateTime<Utc>) -> Result<(String, EncodingKey), KeyError> {
        self.ensure_loaded(now)?;
        self.refresh_if_due(now);
        let loaded = self.current();
        // The first key signs from when it was made; an instance whose clock runs a little behind the
        // one that made it still signs with it rather than with nothing.
        let key = loaded
            .keys
            .iter()
            .rev()
            .find(|k| k.signs_from <= now)
            .or_else(|| loaded.keys.first())
            .ok_or(KeyError::NoSigningKey)?;
        Ok((key.kid.clone(), key.encoding.clone()))
    }

    /// The published key `kid` (`None`: not one of ours), re-reading once per `refresh` when it is
    /// unknown. An error only while no key could be read at all.
    pub(crate) fn verifying_key(&self, kid: &str, now: DateTime<Utc>) -> Result<Option<DecodingKey>, KeyError> {
        self.ensure_loaded(now)?;
        self.refresh_if_due(now);
        if let Some(key) = self.published_key(kid, now) {
            return Ok(Some(key));
        }
        {
            let mut last = self.forced_read.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if last.is_some_and(|at| now < at + self.policy.refresh) {
                return Ok(None);
            }
            *last = Some(now);
        }
        if let Err(e) = self.reload(now) {
            tracing::warn!(error = %e, "signing keys could not be re-read for an unknown kid");
        }
        Ok(self.published_key(kid, now))
    }

    fn published_key(&self, kid: &str, now: DateTime<Utc>) -> Option<DecodingKey> {
        let loaded = self.current();
        let key = loaded.keys.iter().find(|k| k.kid == kid)?;
        matches!(key.state(now, self.policy.token_life), KeyState::Next | KeyState::Signing | KeyState::Verifying)
            .then(|| key.decoding.clone())
    }

    /// `(kid, x)` of every published key (public parts only), for the JWKS. An error while no key could
    /// be read at all: an empty set would tell verifiers (who cache it) that no token is valid.
    pub fn published(&self, now: DateTime<Utc>) -> Result<Vec<(String, String)>, KeyError> {
        self.ensure_loaded(now)?;
        self.refresh_if_due(now);
        Ok(self
            .current()
            .keys
            .iter()
            .filter(|k| k.state(now, self.policy.token_life) != KeyState::Retired)
            .map(|k| (k.kid.clone(), k.public_key.clone()))
            .collect())
    }

    /// Every key with its dates and state, oldest first (re-read now).
    pub fn list(&self, now: DateTime<Utc>) -> Result<Vec<KeyInfo>, KeyError> {
        self.reload(now)?;
        Ok(self
            .current()
            .keys
            .iter()
            .map(|k| KeyInfo {
                kid: k.kid.clone(),
                created_at: k.created_at,
                signs_from: k.signs_from,
                signs_until: k.signs_until,
                retires_at: k.retires_at(self.policy.token_life),
                state: k.state(now, self.policy.token_life),
            })
            .collect())
    }

    /// Adds a key that signs after the publish lead; its `kid`.
    pub fn rotate(&self, now: DateTime<Utc>) -> Result<String, KeyError> {
        let rows = self.store.signing_keys()?;
        let previous = rows.iter().max_by_key(|k| k.signs_from).map_or(String::new(), |k| k.kid.clone());
        let key = self.generate(previous, now, now + self.policy.publish_lead)?;
        if !self.store.add_signing_key(&key)? {
            return Err(KeyError::Store(crate::store_error::StoreError::Query(crate::store_error::cause(
                "another instance added a key at the same moment; list the keys and try again",
            ))));
        }
        self.reload(now)?;
        Ok(key.kid)
    }

    /// The longest a JWKS may be cached: half the publish lead, so every verifier sees a new key
    /// before it signs.
    pub fn max_cache_age(&self) -> TimeDelta {
        self.policy.publish_lead / 2
    }
}

fn sha2_digest(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MemoryStore;
    use chrono::TimeZone;
    use std::sync::atomic::Ordering;

    const KEK: &str = "dGVzdC1vbmx5LWtleS1lbmNyeXB0aW9uLWtleS0zMiE=";

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
    }

    fn policy() -> KeyPolicy {
        KeyPolicy {
            rotation: Some(TimeDelta::days(30)),
            publish_lead: TimeDelta::seconds(600),
            refresh: TimeDelta::seconds(60),
            token_life: TimeDelta::seconds(3600),
        }
    }

    fn ring(store: &Arc<MemoryStore>, at: DateTime<Utc>) -> KeyRing {
        KeyRing::load(store.clone(), KeyEncryptionKey::from_base64(KEK).unwrap(), policy(), at).unwrap()
    }

    #[test]
    fn the_first_instance_makes_one_key_and_the_next_uses_it() {
        let store = Arc::new(MemoryStore::default());
        let a = ring(&store, t0());
        let b = ring(&store, t0());
        assert_eq!(store.stored_keys().len(), 1);
        let (kid_a, _) = a.signing_key(t0()).unwrap();
        let (kid_b, _) = b.signing_key(t0()).unwrap();
        assert_eq!(kid_a, kid_b);
        assert_eq!(a.published(t0()).unwrap().len(), 1);
    }

    #[test]
    fn rotation_happens_once_per_period_and_the_new_key_signs_after_the_lead() {
        let store = Arc::new(MemoryStore::default());
        let (a, b) = (ring(&store, t0()), ring(&store, t0()));
        let first = a.signing_key(t0()).unwrap().0;
        // 10 minutes before the period ends both instances re-read: one new key between them
        let due = t0() + TimeDelta::days(30) - TimeDelta::seconds(600);
        a.refresh_if_due(due);
        b.refresh_if_due(due);
        let keys = store.stored_keys();
        assert_eq!(keys.len(), 2, "{keys:?}");
        let next = keys.iter().find(|k| k.kid != first).unwrap();
        assert_eq!((next.previous_kid.as_str(), next.signs_from), (first.as_str(), due + TimeDelta::seconds(600)));
        // published at once, signing after the lead; the old key verifies until its tokens expired
        assert_eq!(a.published(due).unwrap().len(), 2);
        assert_eq!(b.signing_key(due + TimeDelta::seconds(599)).unwrap().0, first);
        assert_eq!(b.signing_key(due + TimeDelta::seconds(600)).unwrap().0, next.kid);
        let switched = due + TimeDelta::seconds(600);
        assert!(a.published_key(&first, switched + TimeDelta::seconds(3599)).is_some());
        assert!(a.published_key(&first, switched + TimeDelta::seconds(3600)).is_none());
        let states: Vec<_> = a.list(switched + TimeDelta::seconds(3600)).unwrap().iter().map(|k| k.state).collect();
        assert_eq!(states, [KeyState::Retired, KeyState::Signing]);
    }

    #[test]
    fn an_unknown_kid_is_looked_up_at_most_once_per_refresh() {
        let store = Arc::new(MemoryStore::default());
        let a = ring(&store, t0());
        let reads = store.key_reads.load(Ordering::SeqCst);
        for n in 0..1000 {
            assert!(a.verifying_key(&format!("made-up-{n}"), t0() + TimeDelta::seconds(1)).unwrap().is_none());
        }
        assert_eq!(store.key_reads.load(Ordering::SeqCst), reads + 1, "one read for a thousand unknown kids");
        assert!(a.verifying_key("made-up", t0() + TimeDelta::seconds(61)).unwrap().is_none());
        // the refresh (due after 60 s) and the unknown kid's read
        assert!(store.key_reads.load(Ordering::SeqCst) <= reads + 3);
    }

    #[test]
    fn a_key_rotated_by_another_instance_is_found_by_its_kid() {
        let store = Arc::new(MemoryStore::default());
        let (a, b) = (ring(&store, t0()), ring(&store, t0()));
        let added = b.rotate(t0() + TimeDelta::seconds(5)).unwrap();
        // a has not re-read yet, but a token naming the new kid makes it look
        assert!(a.verifying_key(&added, t0() + TimeDelta::seconds(6)).unwrap().is_some());
    }

    #[test]
    fn a_wrong_encryption_key_fails_at_load_and_the_store_holds_no_private_key() {
        let store = Arc::new(MemoryStore::default());
        ring(&store, t0());
        let other = KeyEncryptionKey::from_base64("b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktMzI=").unwrap();
        let err = KeyRing::load(store.clone(), other, policy(), t0()).unwrap_err();
        assert!(err.to_string().contains("cannot be opened with tokens.key_encryption_key"), "{err}");
        // a sealed key moved to another kid does not open either
        let mut moved = store.stored_keys()[0].clone();
        moved.kid = "moved".into();
        moved.previous_kid = "x".into();
        store.replace_key(moved);
        assert!(matches!(
            KeyRing::load(store.clone(), KeyEncryptionKey::from_base64(KEK).unwrap(), policy(), t0()),
            Err(KeyError::Unsealable { .. })
        ));
        assert!(KeyEncryptionKey::from_base64("c2hvcnQ=").is_err());
    }

    #[test]
    fn a_database_down_at_start_up_is_unavailable_until_it_answers() {
        let store = Arc::new(MemoryStore::default());
        store.unavailable.store(true, Ordering::SeqCst);
        let a = ring(&store, t0());
        assert!(matches!(a.signing_key(t0()), Err(KeyError::Store(StoreError::Unavailable(_)))));
        assert!(a.verifying_key("any", t0()).is_err(), "unavailable, not unknown");
        assert!(a.published(t0()).is_err(), "no empty key set while none could be read");
        store.unavailable.store(false, Ordering::SeqCst);
        // at most one read a second while none could be made
        assert!(a.signing_key(t0()).is_err());
        assert!(a.signing_key(t0() + TimeDelta::seconds(1)).is_ok());
        assert_eq!(store.stored_keys().len(), 1);
    }

    #[test]
    fn nothing_secret_is_printed() {
        let store = Arc::new(MemoryStore::default());
        let a = ring(&store, t0());
        let stored = &store.stored_keys()[0];
        let printed = format!("{stored:?} {a:?} {:?}", KeyEncryptionKey::from_base64(KEK).unwrap());
        assert!(!printed.contains(&stored.sealed_private_key) && !printed.contains(KEK), "{printed}");
        assert!(printed.contains(&stored.kid));
    }
}
