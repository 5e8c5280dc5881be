use super::*;
use crate::keys::{KeyEncryptionKey, KeyPolicy};
use crate::testing::MemoryStore;
use chrono::TimeZone;
use jsonwebtoken::Header;
use serde_json::json;
use std::sync::atomic::Ordering;

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

const SECRET: &str = "test-secret-that-is-long-enough-for-hs256";

fn settings() -> TokenSettings {
    TokenSettings { issuer: "auth-service".into(), access_ttl_secs: 3600, leeway_secs: 0 }
}

fn codec() -> TokenCodec {
    TokenCodec::new(&settings(), Signer::hs256(&SecretString::from(SECRET)).unwrap()).unwrap()
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
}

fn session() -> SessionId {
    SessionId::new_random()
}

fn sign(header: &Header, claims: &serde_json::Value, secret: &str) -> String {
    jsonwebtoken::encode(header, claims, &EncodingKey::from_secret(secret.as_bytes()).unwrap()).unwrap()
}

fn claims_at(now: DateTime<Utc>) -> serde_json::Value {
    json!({
        "sub": "7",
        "iat": now.timestamp(),
        "exp": now.timestamp() + 3600,
        "jti": TokenId::new_random().as_str(),
        "iss": "auth-service",
    })
}

#[test]
fn settings_out_of_range_are_refused() {
    let hs = || Signer::hs256(&SecretString::from(SECRET)).unwrap();
    let leeway = TokenSettings { leeway_secs: TokenCodec::MAX_LEEWAY_SECS + 1, ..settings() };
    assert_eq!(TokenCodec::new(&leeway, hs()).unwrap_err(), TokenConfigError::BadLeeway { max: 3600 });
    let ttl = TokenSettings { access_ttl_secs: TokenCodec::MAX_TTL_SECS + 1, ..settings() };
    assert!(TokenCodec::new(&ttl, hs()).is_err());
    let zero_ttl = TokenSettings { access_ttl_secs: 0, ..settings() };
    assert!(matches!(TokenCodec::new(&zero_ttl, hs()).unwrap_err(), TokenConfigError::BadTtl { .. }));
    let issuer = TokenSettings { issuer: String::new(), ..settings() };
    assert_eq!(TokenCodec::new(&issuer, hs()).unwrap_err(), TokenConfigError::EmptyIssuer);
    assert_eq!(Signer::hs256(&SecretString::from("")).err(), Some(TokenConfigError::EmptySecret));
}

#[test]
fn dates_at_the_end_of_time_are_refused_not_a_panic() {
    let settings = TokenSettings { leeway_secs: TokenCodec::MAX_LEEWAY_SECS, ..settings() };
    let codec = TokenCodec::new(&settings, Signer::hs256(&SecretString::from(SECRET)).unwrap()).unwrap();
    let last = DateTime::<Utc>::MAX_UTC.timestamp();
    for (iat, exp) in [(t0().timestamp(), last), (last - 10, last), (t0().timestamp(), i64::MAX)] {
        let claims =
            json!({"sub": "1", "iat": iat, "exp": exp, "jti": TokenId::new_random().as_str(), "iss": "auth-service"});
        let token = sign(&Header::new(jsonwebtoken::Algorithm::HS256), &claims, SECRET);
        assert_eq!(codec.verify(&token, t0()), Err(Refusal::Invalid), "iat {iat} exp {exp}");
    }
    // issuing at the end of time fails as ours, not as the client's
    assert_eq!(codec.issue(UserId(1), session(), DateTime::<Utc>::MAX_UTC).unwrap_err(), IssueError::Failed);
}

#[test]
fn round_trips_the_user_jti_and_session() {
    let codec = codec();
    let sid = session();
    let issued = codec.issue(UserId(42), sid, t0()).unwrap();
    assert_eq!(issued.expires_at, t0() + TimeDelta::seconds(3600));
    let verified = codec.verify(issued.token.expose_secret(), t0()).unwrap();
    assert_eq!(
        verified,
        VerifiedToken { user_id: UserId(42), jti: issued.jti, expires_at: issued.expires_at, session: Some(sid) }
    );
    let old = codec.issue_sessionless(UserId(42), t0()).unwrap();
    assert_eq!(codec.verify(old.token.expose_secret(), t0()).unwrap().session, None);
}

#[test]
fn two_tokens_in_the_same_second_differ() {
    let codec = codec();
    let sid = session();
    let a = codec.issue(UserId(1), sid, t0()).unwrap();
    let b = codec.issue(UserId(1), sid, t0()).unwrap();
    assert_ne!(a.token.expose_secret(), b.token.expose_secret());
    assert_ne!(a.jti, b.jti);
}

#[test]
fn expires_by_the_injected_clock_and_the_leeway() {
    let codec = codec();
    let token = codec.issue(UserId(1), session(), t0()).unwrap().token;
    let token = token.expose_secret();
    assert!(codec.verify(token, t0() + TimeDelta::seconds(3599)).is_ok());
    assert_eq!(codec.verify(token, t0() + TimeDelta::seconds(3600)), Err(Refusal::Expired));
    assert_eq!(codec.verify(token, t0() + TimeDelta::days(2)), Err(Refusal::Expired));
    let lenient = TokenSettings { leeway_secs: 30, ..settings() };
    let codec = TokenCodec::new(&lenient, Signer::hs256(&SecretString::from(SECRET)).unwrap()).unwrap();
    let token = codec.issue(UserId(1), session(), t0()).unwrap().token;
    assert!(codec.verify(token.expose_secret(), t0() + TimeDelta::seconds(3629)).is_ok());
    assert_eq!(codec.verify(token.expose_secret(), t0() + TimeDelta::seconds(3630)), Err(Refusal::Expired));
}

#[test]
fn refuses_other_keys_algorithms_headers_and_garbage() {
    let codec = codec();
    let mut with_kid = Header::new(jsonwebtoken::Algorithm::HS256);
    with_kid.kid = Some("1".into());
    let mut with_x5t = Header::new(jsonwebtoken::Algorithm::HS256);
    with_x5t.x5t_s256 = Some("abc".into());
    let claims = claims_at(t0()).to_string();
    let mut refused = vec![
        sign(&Header::new(jsonwebtoken::Algorithm::HS256), &claims_at(t0()), "another-secret-another-secret-xx"),
        sign(&Header::new(jsonwebtoken::Algorithm::HS512), &claims_at(t0()), SECRET),
        sign(&with_kid, &claims_at(t0()), SECRET),
        sign(&with_x5t, &claims_at(t0()), SECRET),
        "a".repeat(TokenCodec::MAX_TOKEN_BYTES + 1),
    ];
    for alg in ["none", "None", "NONE"] {
        let header = format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#);
        refused.push(format!("{}.{}.", b64(header.as_bytes()), b64(claims.as_bytes())));
    }
    refused.extend(["", "a", "a.b", "a.b.c", "....", "\u{1F600}.x.y"].map(str::to_owned));
    for token in &refused {
        assert_eq!(codec.verify(token, t0()), Err(Refusal::Invalid), "{token:.80}");
        assert_eq!(codec.verify(token, t0() + TimeDelta::days(1)), Err(Refusal::Invalid), "{token:.80}");
    }
    assert_eq!(codec.cached(), 0, "nothing refused is kept");
}

#[test]
fn rejects_a_tampered_payload() {
    let codec = codec();
    let token = codec.issue(UserId(1), session(), t0()).unwrap().token.expose_secret().to_owned();
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut forged = claims_at(t0()).as_object().unwrap().clone();
    forged.insert("sub".into(), json!("2"));
    parts[1] = b64(serde_json::Value::Object(forged).to_string().as_bytes());
    assert_eq!(codec.verify(&parts.join("."), t0()), Err(Refusal::Invalid));
}

#[test]
fn debug_output_has_no_secret_or_token() {
    let codec = codec();
    let issued = codec.issue(UserId(1), session(), t0()).unwrap();
    for debug in [format!("{:?}", settings()), format!("{codec:?}"), format!("{issued:?}")] {
        assert!(!debug.contains(SECRET), "{debug}");
        assert!(!debug.contains(issued.token.expose_secret()), "{debug}");
    }
}

fn key_policy() -> KeyPolicy {
    KeyPolicy {
        rotation: None,
        publish_lead: TimeDelta::seconds(600),
        refresh: TimeDelta::seconds(60),
        token_life: TimeDelta::seconds(3600),
    }
}

/// An EdDSA codec over an in-memory store: one Ed25519 key, signing from `t0`.
fn eddsa(store: &Arc<MemoryStore>) -> TokenCodec {
    let kek = KeyEncryptionKey::from_base64("dGVzdC1vbmx5LWtleS1lbmNyeXB0aW9uLWtleS0zMiE=").unwrap();
    let ring = KeyRing::load(store.clone(), kek, key_policy(), t0()).unwrap();
    TokenCodec::new(&settings(), Signer::EdDsa(Arc::new(ring))).unwrap()
}

#[test]
fn a_checked_token_still_expires_and_a_changed_one_is_checked_again() {
    for codec in [eddsa(&Arc::new(MemoryStore::default())), codec()] {
        let issued = codec.issue(UserId(7), session(), t0()).unwrap();
        let token = issued.token.expose_secret();
        assert_eq!(codec.verify(token, t0()).unwrap().user_id.0, 7);
        assert_eq!(codec.cached(), 1);
        assert_eq!(codec.verify(token, t0() + TimeDelta::seconds(10)).unwrap().user_id.0, 7, "from the cache");
        assert_eq!(codec.verify(token, t0() + TimeDelta::seconds(3600)).unwrap_err(), Refusal::Expired);
        let mut changed = token.to_owned();
        let last = changed.pop().unwrap();
        changed.push(if last == 'A' { 'B' } else { 'A' });
        let (payload, _) = token.rsplit_once('.').unwrap();
        for forged in [changed, format!("{payload}.")] {
            assert_eq!(codec.verify(&forged, t0()).unwrap_err(), Refusal::Invalid, "{forged}");
        }
        assert_eq!(codec.cached(), 1, "only the checked token is kept");
    }
}

/// Verification reads memory only: with a store that panics on any use, tokens of a known key, of a key
/// not read yet and of no key at all are all answered, and an unknown kid only asks for a read.
#[test]
fn verifying_never_touches_the_database() {
    let store = Arc::new(MemoryStore::default());
    let codec = eddsa(&store);
    let ring = codec.key_ring().unwrap().clone();
    let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = asked.clone();
    ring.on_read_wanted(move || {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    // another instance rotates; this one has not read the new key
    let other = eddsa(&store);
    let new_kid = other.key_ring().unwrap().rotate(t0()).unwrap();
    let token = codec.issue(UserId(7), session(), t0()).unwrap();
    store.panic_on_use.store(true, Ordering::SeqCst);

    assert_eq!(codec.verify(token.token.expose_secret(), t0()).unwrap().user_id, UserId(7));
    let foreign_kid = |kid: &str| {
        let mut header = Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some(kid.to_owned());
        // signed with a key that is not ours: refused whatever the kid
        let der = [
            &[0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20][..],
            &[9; 32],
        ]
        .concat();
        jsonwebtoken::encode(&header, &claims_at(t0()), &EncodingKey::from_ed_der(&der)).unwrap()
    };
    for n in 0..100 {
        let token = foreign_kid(&format!("made-up-{n}"));
        assert_eq!(codec.verify(&token, t0() + TimeDelta::milliseconds(n)), Err(Refusal::Invalid));
    }
    assert_eq!(codec.verify(&foreign_kid(&new_kid), t0()), Err(Refusal::Invalid));
    assert_eq!(asked.load(Ordering::SeqCst), 1, "one read asked for, none made");
    assert_eq!(ring.next_read(), None, "the key task reads at once");
    store.panic_on_use.store(false, Ordering::SeqCst);
    ring.refresh(t0()).unwrap();
    assert!(ring.keys().knows(&new_kid));
}

/// A token signed with a key revoked since it was checked (and cached) is refused.
#[test]
fn a_cached_token_of_a_revoked_key_is_refused() {
    let store = Arc::new(MemoryStore::default());
    let codec = eddsa(&store);
    let token = codec.issue(UserId(7), session(), t0()).unwrap();
    let token = token.token.expose_secret();
    assert!(codec.verify(token, t0()).is_ok());
    let kid = codec.key_ring().unwrap().keys().signing_key(t0()).unwrap().0.to_owned();
    let replacement = codec.key_ring().unwrap().revoke(&kid, t0() + TimeDelta::seconds(1)).unwrap().unwrap();
    assert_eq!(codec.verify(token, t0() + TimeDelta::seconds(2)), Err(Refusal::Invalid));
    let fresh = codec.issue(UserId(7), session(), t0() + TimeDelta::seconds(2)).unwrap();
    assert_eq!(jsonwebtoken::decode_header(fresh.token.expose_secret()).unwrap().kid, Some(replacement));
    assert!(codec.verify(fresh.token.expose_secret(), t0() + TimeDelta::seconds(2)).is_ok());
}

#[test]
fn with_no_key_read_tokens_are_unavailable_not_invalid() {
    let store = Arc::new(MemoryStore::default());
    store.unavailable.store(true, Ordering::SeqCst);
    let codec = eddsa(&store);
    assert_eq!(codec.issue(UserId(1), session(), t0()).unwrap_err(), IssueError::KeysUnavailable);
    let other = eddsa(&Arc::new(MemoryStore::default()));
    let token = other.issue(UserId(1), session(), t0()).unwrap();
    assert_eq!(codec.verify(token.token.expose_secret(), t0()), Err(Refusal::KeysUnavailable));
}
