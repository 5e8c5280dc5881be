//! The keys this instance signs and verifies with: a snapshot swapped in whole by whoever reads the
//! database (the server's key task, on a schedule or when asked; the command line), read by everyone
//! else without a lock and without I/O.

use super::KeyError;
use super::policy::{KeyDates, KeyInfo, KeyPolicy};
use super::sealing::KeyEncryptionKey;
use super::set::{KeySet, LoadedKey};
use crate::store::{KeyStore, StoredKey};
use crate::store_error::StoreError;
use arc_swap::ArcSwap;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, SubsecRound, Utc};
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{DecodingKey, EncodingKey};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

pub struct KeyRing {
    store: Arc<dyn KeyStore>,
    kek: KeyEncryptionKey,
    policy: KeyPolicy,
    current: ArcSwap<KeySet>,
    /// When the keys were last read (or a read last failed): the next scheduled read is from there.
    read_at: Mutex<Option<DateTime<Utc>>>,
    /// Reads asked for out of schedule (a token named a key not read yet), and how many of those a
    /// finished read has answered: a read is pending while `answered < asked`. (A flag cleared when a
    /// read starts would tell a waiting request that the read is done before its keys are in use.)
    asked: AtomicU64,
    answered: AtomicU64,
    /// When such a read was last asked for: at most one per `policy.refresh` (one a second while no key
    /// could be read), so a flood of made-up `kid`s is no flood of reads.
    last_request: Mutex<Option<DateTime<Utc>>>,
    /// Tells the key task that a read is wanted.
    waker: OnceLock<Box<dyn Fn() + Send + Sync>>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing").field("policy", &self.policy).finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl KeyRing {
    /// Reads the keys (making the first, or the next when rotation is due) and opens every one: a key
    /// the key-encryption key cannot open is an error here, at start-up, not at the first request.
    /// A database that cannot be reached is no error here: the service starts, answers 503 where it
    /// needs a key, and the key task reads them as soon as it can (once a second until then).
    pub fn load(
        store: Arc<dyn KeyStore>,
        kek: KeyEncryptionKey,
        policy: KeyPolicy,
        now: DateTime<Utc>,
    ) -> Result<Self, KeyError> {
        let ring = Self {
            store,
            kek,
            policy,
            current: ArcSwap::from_pointee(KeySet::empty(policy.token_life)),
            read_at: Mutex::new(None),
            asked: AtomicU64::new(0),
            answered: AtomicU64::new(0),
            last_request: Mutex::new(None),
            waker: OnceLock::new(),
        };
        match ring.refresh(now) {
            Err(KeyError::Store(StoreError::Unavailable(e))) => {
                tracing::warn!(error = %e, "signing keys not read: the database is unavailable; reading them when it is");
                Ok(ring)
            }
            other => other.map(|()| ring),
        }
    }

    /// The keys as last read. Never blocks, never reads the database.
    pub fn keys(&self) -> Arc<KeySet> {
        self.current.load_full()
    }

    pub fn policy(&self) -> KeyPolicy {
        self.policy
    }

    /// Rotates when due (once however many instances try), then reads and opens every key and puts them
    /// in use. A failed read keeps the keys in use and is tried again at the next `next_read`.
    pub fn refresh(&self, now: DateTime<Utc>) -> Result<(), KeyError> {
        let asked = self.asked.load(Ordering::Acquire);
        let read = self.read(now);
        // answered only once the keys read are in use (or the read failed: the asker then gives up)
        self.answered.fetch_max(asked, Ordering::AcqRel);
        read
    }

    fn read(&self, now: DateTime<Utc>) -> Result<(), KeyError> {
        *lock(&self.read_at) = Some(now);
        let mut rows = self.store.signing_keys()?;
        let latest = rows.iter().filter(|k| k.revoked_at.is_none()).map(|k| k.signs_from).max();
        let due = match latest {
            // the first key (or the first after every key was revoked) signs at once
            None => Some(now),
            Some(latest) => {
                self.policy.rotation_due(latest).filter(|due| now >= *due).map(|_| now + self.policy.publish_lead)
            }
        };
        if let Some(signs_from) = due {
            if self.store.add_signing_key(&self.generate(chain_head(&rows), now, signs_from)?)? {
                tracing::info!("signing key added");
            }
            rows = self.store.signing_keys()?;
        }
        let set = self.open_all(rows)?;
        self.current.store(Arc::new(set));
        Ok(())
    }

    /// When the key task should read next: `policy.refresh` after the last read, a second after it while
    /// no key could be read, or at once when a read was asked for.
    pub fn next_read(&self) -> Option<DateTime<Utc>> {
        if self.read_pending() {
            return None;
        }
        let pause = if self.current.load().is_empty() { KeyPolicy::RETRY_WHILE_EMPTY } else { self.policy.refresh };
        lock(&self.read_at).map(|at| at + pause)
    }

    /// Whether a read was asked for out of schedule and has not been made yet.
    pub fn read_pending(&self) -> bool {
        self.answered.load(Ordering::Acquire) < self.asked.load(Ordering::Acquire)
    }

    /// Runs `wake` whenever a read is asked for out of schedule (the key task waits on it).
    pub fn on_read_wanted(&self, wake: impl Fn() + Send + Sync + 'static) {
        let _ = self.waker.set(Box::new(wake));
    }

    /// Asks for a read soon (a token named a key this instance has not read), at most once per
    /// `policy.refresh`, or once a second while no key could be read. Returns at once.
    pub(crate) fn request_read(&self, now: DateTime<Utc>) {
        let pause = if self.current.load().is_empty() { KeyPolicy::RETRY_WHILE_EMPTY } else { self.policy.refresh };
        {
            let mut last = lock(&self.last_request);
            if last.is_some_and(|at| now < at + pause) {
                return;
            }
            *last = Some(now);
        }
        self.asked.fetch_add(1, Ordering::AcqRel);
        if let Some(wake) = self.waker.get() {
            wake();
        }
    }

    /// Every key with its dates and state, oldest first (read now).
    pub fn list(&self, now: DateTime<Utc>) -> Result<Vec<KeyInfo>, KeyError> {
        self.refresh(now)?;
        Ok(self.keys().list(now))
    }

    /// Adds a key that signs after the publish lead; its `kid`.
    pub fn rotate(&self, now: DateTime<Utc>) -> Result<String, KeyError> {
        let rows = self.store.signing_keys()?;
        let key = self.generate(chain_head(&rows), now, now + self.policy.publish_lead)?;
        if !self.store.add_signing_key(&key)? {
            return Err(KeyError::Raced);
        }
        self.refresh(now)?;
        Ok(key.kid)
    }

    /// Takes `kid` out of use (a leaked key): it leaves the JWKS and its tokens are refused, here at once
    /// and by every other instance at its next read (within `policy.refresh`). When no other key signs
    /// now, a new one is added that signs at once; its `kid` is returned.
    pub fn revoke(&self, kid: &str, now: DateTime<Utc>) -> Result<Option<String>, KeyError> {
        if !self.store.revoke_signing_key(kid, now.trunc_subsecs(0))? {
            return Err(KeyError::UnknownKid(kid.to_owned()));
        }
        let rows = self.store.signing_keys()?;
        let signer_left = rows.iter().any(|k| k.revoked_at.is_none() && k.signs_from <= now);
        let replacement = if signer_left {
            None
        } else {
            let key = self.generate(chain_head(&rows), now, now)?;
            if !self.store.add_signing_key(&key)? {
                return Err(KeyError::Raced);
            }
            Some(key.kid)
        };
        self.refresh(now)?;
        Ok(replacement)
    }

    /// The longest a JWKS may be cached.
    pub fn max_cache_age(&self) -> chrono::TimeDelta {
        self.policy.max_cache_age()
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
        let kid = URL_SAFE_NO_PAD.encode(&sha256(&public)[..16]);
        let der = signing.to_pkcs8_der().map_err(|_| KeyError::Random)?;
        let sealed = self.kek.seal(&kid, der.as_bytes())?;
        Ok(StoredKey {
            kid,
            previous_kid,
            created_at: now,
            signs_from,
            public_key: URL_SAFE_NO_PAD.encode(public),
            sealed_private_key: STANDARD.encode(sealed),
            revoked_at: None,
        })
    }

    fn open_all(&self, mut rows: Vec<StoredKey>) -> Result<KeySet, KeyError> {
        rows.sort_by(|a, b| (a.signs_from, &a.kid).cmp(&(b.signs_from, &b.kid)));
        // A key signs until the next key that is not revoked takes over.
        let starts: Vec<DateTime<Utc>> = rows.iter().filter(|k| k.revoked_at.is_none()).map(|k| k.signs_from).collect();
        let keys = rows
            .into_iter()
            .map(|row| {
                let damaged = |what| KeyError::Damaged { kid: row.kid.clone(), what };
                let public =
                    URL_SAFE_NO_PAD.decode(&row.public_key).map_err(|_| damaged("public key not base64url"))?;
                if public.len() != 32 {
                    return Err(damaged("public key not 32 bytes"));
                }
                let encoding = match row.revoked_at {
                    Some(_) => None,
                    None => {
                        let sealed =
                            STANDARD.decode(&row.sealed_private_key).map_err(|_| damaged("private key not base64"))?;
                        let der = self
                            .kek
                            .open(&row.kid, &sealed)
                            .ok_or_else(|| KeyError::Unsealable { kid: row.kid.clone() })?;
                        Some(EncodingKey::from_ed_der(&der))
                    }
                };
                let signs_until = starts.iter().find(|start| **start > row.signs_from).copied();
                Ok(LoadedKey {
                    dates: KeyDates { signs_from: row.signs_from, signs_until, revoked_at: row.revoked_at },
                    decoding: DecodingKey::from_ed_der(&public),
                    encoding,
                    created_at: row.created_at,
                    public_key: row.public_key,
                    kid: row.kid,
                })
            })
            .collect::<Result<Vec<_>, KeyError>>()?;
        Ok(KeySet { keys, token_life: self.policy.token_life })
    }
}

/// The key a new key follows: the one made last. (`previous_kid` is unique, so of two instances adding
/// a key after the same one, exactly one succeeds.)
fn chain_head(rows: &[StoredKey]) -> String {
    rows.iter()
        .max_by(|a, b| (a.created_at, a.signs_from, &a.kid).cmp(&(b.created_at, b.signs_from, &b.kid)))
        .map_or(String::new(), |k| k.kid.clone())
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyState;
    use crate::testing::MemoryStore;
    use chrono::{TimeDelta, TimeZone};
    use std::sync::atomic::AtomicUsize;

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

    fn signer(ring: &KeyRing, at: DateTime<Utc>) -> String {
        ring.keys().signing_key(at).unwrap().0.to_owned()
    }

    #[test]
    fn the_first_instance_makes_one_key_and_the_next_uses_it() {
        let store = Arc::new(MemoryStore::default());
        let a = ring(&store, t0());
        let b = ring(&store, t0());
        assert_eq!(store.stored_keys().len(), 1);
        assert_eq!(signer(&a, t0()), signer(&b, t0()));
        assert_eq!(a.keys().published(t0()).len(), 1);
    }

    #[test]
    fn rotation_happens_once_per_period_and_the_new_key_signs_after_the_lead() {
        let store = Arc::new(MemoryStore::default());
        let (a, b) = (ring(&store, t0()), ring(&store, t0()));
        let first = signer(&a, t0());
        // 10 minutes before the period ends both instances read: one new key between them
        let due = t0() + TimeDelta::days(30) - TimeDelta::seconds(600);
        a.refresh(due).unwrap();
        b.refresh(due).unwrap();
        let keys = store.stored_keys();
        assert_eq!(keys.len(), 2, "{keys:?}");
        let next = keys.iter().find(|k| k.kid != first).unwrap();
        assert_eq!((next.previous_kid.as_str(), next.signs_from), (first.as_str(), due + TimeDelta::seconds(600)));
        // published at once, signing after the lead; the old key verifies until its tokens expired
        assert_eq!(a.keys().published(due).len(), 2);
        assert_eq!(signer(&b, due + TimeDelta::seconds(599)), first);
        assert_eq!(signer(&b, due + TimeDelta::seconds(600)), next.kid);
        let switched = due + TimeDelta::seconds(600);
        assert!(a.keys().verifying_key(&first, switched + TimeDelta::seconds(3599)).is_some());
        assert!(a.keys().verifying_key(&first, switched + TimeDelta::seconds(3600)).is_none());
        let states: Vec<_> = a.list(switched + TimeDelta::seconds(3600)).unwrap().iter().map(|k| k.state).collect();
        assert_eq!(states, [KeyState::Retired, KeyState::Signing]);
    }

    /// Verifying never reads: an unknown kid only asks the key task for a read, at most once per refresh.
    #[test]
    fn a_read_is_asked_for_at_most_once_per_refresh() {
        let store = Arc::new(MemoryStore::default());
        let a = ring(&store, t0());
        let asked = Arc::new(AtomicUsize::new(0));
        let counter = asked.clone();
        a.on_read_wanted(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        let reads = store.key_reads.load(Ordering::SeqCst);
        for n in 0..1000 {
            a.request_read(t0() + TimeDelta::milliseconds(n));
        }
        assert_eq!(asked.load(Ordering::SeqCst), 1);
        assert_eq!(a.next_read(), None, "due at once");
        a.request_read(t0() + TimeDelta::seconds(61));
        assert_eq!(asked.load(Ordering::SeqCst), 2);
        assert_eq!(store.key_reads.load(Ordering::SeqCst), reads, "asking reads nothing");
        a.refresh(t0() + TimeDelta::seconds(61)).unwrap();
        assert_eq!(a.next_read(), Some(t0() + TimeDelta::seconds(121)));
    }

    #[test]
    fn a_key_rotated_by_another_instance_is_known_after_a_read() {
        let store = Arc::new(MemoryStore::default());
        let (a, b) = (ring(&store, t0()), ring(&store, t0()));
        let added = b.rotate(t0() + TimeDelta::seconds(5)).unwrap();
        assert!(!a.keys().knows(&added));
        a.refresh(t0() + TimeDelta::seconds(6)).unwrap();
        assert!(a.keys().verifying_key(&added, t0() + TimeDelta::seconds(6)).is_some());
    }

    #[test]
    fn a_revoked_key_is_neither_trusted_nor_published_and_a_signer_replaces_it() {
        let store = Arc::new(MemoryStore::default());
        let (a, b) = (ring(&store, t0()), ring(&store, t0()));
        let leaked = signer(&a, t0());
        let at = t0() + TimeDelta::seconds(30);
        let replacement = a.revoke(&leaked, at).unwrap().expect("a key that signs at once");
        assert_eq!(signer(&a, at), replacement);
        assert!(a.keys().verifying_key(&leaked, at).is_none());
        assert_eq!(a.keys().published(at), [(replacement.as_str(), a.keys().published(at)[0].1)]);
        // the other instance trusts it until its next read
        assert!(b.keys().verifying_key(&leaked, at).is_some());
        b.refresh(at).unwrap();
        assert!(b.keys().verifying_key(&leaked, at).is_none());
        assert_eq!(signer(&b, at), replacement);
        let states: Vec<_> = b.list(at).unwrap().iter().map(|k| (k.kid.clone(), k.state)).collect();
        assert_eq!(states, [(leaked.clone(), KeyState::Revoked), (replacement.clone(), KeyState::Signing)]);
        // a key that does not sign now needs no replacement; an unknown kid is refused
        let next = a.rotate(at).unwrap();
        assert_eq!(a.revoke(&next, at).unwrap(), None);
        assert!(matches!(a.revoke("no-such-kid", at), Err(KeyError::UnknownKid(_))));
        // rotation goes on from the newest key after revocations
        assert!(a.rotate(at + TimeDelta::seconds(1)).is_ok());
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
    }

    #[test]
    fn a_database_down_at_start_up_leaves_no_key_until_a_read_succeeds() {
        let store = Arc::new(MemoryStore::default());
        store.unavailable.store(true, Ordering::SeqCst);
        let a = ring(&store, t0());
        assert!(a.keys().is_empty());
        assert!(a.keys().signing_key(t0()).is_none());
        assert_eq!(a.next_read(), Some(t0() + TimeDelta::seconds(1)), "tried again each second");
        assert!(a.refresh(t0() + TimeDelta::seconds(1)).is_err());
        store.unavailable.store(false, Ordering::SeqCst);
        a.refresh(t0() + TimeDelta::seconds(2)).unwrap();
        assert!(a.keys().signing_key(t0() + TimeDelta::seconds(2)).is_some());
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
