//! The verifier against a key set of the test's own (RFC 8032's first Ed25519 key), on a clock moved
//! by hand: caching, refetching, failing fetches, and every reason to refuse.

use actix_web::test::{TestRequest, call_service, init_service, read_body_json};
use actix_web::{App, HttpResponse, web};
use auth_verify::actix::Authenticated;
use auth_verify::{Clock, FetchError, Fetched, JwksSource, Refusal, Verifier, VerifierConfig};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// RFC 8032, 7.1, TEST 1: the private seed and its public key (base64url).
const SEED: [u8; 32] = [
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5,
    0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
];
const PUBLIC_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

fn key_from_seed(seed: [u8; 32]) -> EncodingKey {
    let mut der = vec![0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
    der.extend(seed);
    EncodingKey::from_ed_der(&der)
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
}

struct TestClock(Mutex<DateTime<Utc>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

impl TestClock {
    fn advance(&self, secs: i64) {
        *self.0.lock().unwrap() += TimeDelta::seconds(secs);
    }
}

/// Serves a fixed key set (kid "k1"), counting fetches; fails while `down`.
#[derive(Clone, Default)]
struct Keys {
    fetches: Arc<AtomicUsize>,
    down: Arc<AtomicBool>,
    extra_kid: Arc<Mutex<Option<String>>>,
}

impl JwksSource for Keys {
    fn fetch(&self) -> Result<Fetched, FetchError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            return Err(FetchError::Status(503));
        }
        let public = || DecodingKey::from_ed_components(PUBLIC_X).unwrap();
        let mut keys = vec![("k1".to_owned(), public())];
        if let Some(kid) = self.extra_kid.lock().unwrap().clone() {
            keys.push((kid, public()));
        }
        Ok(Fetched { keys, max_age: Some(Duration::from_secs(300)) })
    }
}

fn setup() -> (Verifier, Keys, Arc<TestClock>) {
    let keys = Keys::default();
    let clock = Arc::new(TestClock(Mutex::new(t0())));
    let config = VerifierConfig::new("http://unused", "auth-service");
    (Verifier::with_source(config, keys.clone(), clock.clone()), keys, clock)
}

fn token_with(header: Header, key: &EncodingKey, claims: Value) -> String {
    jsonwebtoken::encode(&header, &claims, key).unwrap()
}

fn claims(exp_after: i64) -> Value {
    json!({"sub": "42", "iat": t0().timestamp() - 60, "exp": t0().timestamp() + exp_after,
           "jti": "5f0c6a52-33a4-4c5e-9a7c-0c1b0a6d6a01", "iss": "auth-service",
           "sid": "3f0c6a52-33a4-4c5e-9a7c-0c1b0a6d6a02"})
}

fn eddsa(kid: &str) -> Header {
    Header { kid: Some(kid.to_owned()), ..Header::new(Algorithm::EdDSA) }
}

fn token(kid: &str) -> String {
    token_with(eddsa(kid), &key_from_seed(SEED), claims(3600))
}

#[test]
fn a_token_verifies_into_typed_claims_with_one_fetch() {
    let (verifier, keys, _) = setup();
    assert!(verifier.verify_cached(&token("k1")).is_none(), "nothing fetched yet");
    let claims = verifier.verify(&token("k1")).unwrap();
    assert_eq!((claims.user_id, claims.session_id.as_deref()), (42, Some("3f0c6a52-33a4-4c5e-9a7c-0c1b0a6d6a02")));
    assert_eq!(claims.expires_at, t0() + TimeDelta::seconds(3600));
    assert_eq!(verifier.verify_cached(&token("k1")).unwrap().unwrap(), claims);
    for _ in 0..100 {
        verifier.verify(&token("k1")).unwrap();
    }
    assert_eq!(keys.fetches.load(Ordering::SeqCst), 1);
}

#[test]
fn every_reason_to_refuse() {
    let (verifier, _, clock) = setup();
    let ours = key_from_seed(SEED);
    let foreign = key_from_seed([7; 32]);
    let hs256 = EncodingKey::from_secret(b"a-shared-secret-a-shared-secret").unwrap();
    let cases = [
        ("a foreign key under our kid", token_with(eddsa("k1"), &foreign, claims(3600)), Refusal::Invalid),
        ("HS256", token_with(Header::new(Algorithm::HS256), &hs256, claims(3600)), Refusal::Invalid),
        ("no kid", token_with(Header::new(Algorithm::EdDSA), &ours, claims(3600)), Refusal::Invalid),
        ("another issuer", token_with(eddsa("k1"), &ours, with(claims(3600), "iss", json!("evil"))), Refusal::Invalid),
        ("expired", token_with(eddsa("k1"), &ours, claims(-1)), Refusal::Expired),
        ("no jti", token_with(eddsa("k1"), &ours, without(claims(3600), "jti")), Refusal::Invalid),
        (
            "sub not a user id",
            token_with(eddsa("k1"), &ours, with(claims(3600), "sub", json!("root"))),
            Refusal::Invalid,
        ),
        (
            "a jku header",
            token_with(Header { jku: Some("https://evil.example/keys".into()), ..eddsa("k1") }, &ours, claims(3600)),
            Refusal::Invalid,
        ),
        ("not a JWT", "garbage".to_owned(), Refusal::Invalid),
    ];
    for (case, token, expected) in cases {
        assert_eq!(verifier.verify(&token), Err(expected), "{case}");
    }
    // expiry by the clock, and the leeway
    let soon = token_with(eddsa("k1"), &ours, claims(10));
    assert!(verifier.verify(&soon).is_ok());
    clock.advance(10);
    assert_eq!(verifier.verify(&soon), Err(Refusal::Expired));
}

fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

fn without(mut claims: Value, name: &str) -> Value {
    claims.as_object_mut().unwrap().remove(name);
    claims
}

#[test]
fn unknown_kids_fetch_at_most_once_per_cooldown() {
    let (verifier, keys, clock) = setup();
    verifier.verify(&token("k1")).unwrap();
    // (within a second of a fetch, another is not made at all)
    clock.advance(1);
    for n in 0..100 {
        assert_eq!(verifier.verify(&token(&format!("made-up-{n}"))), Err(Refusal::Invalid));
    }
    assert_eq!(keys.fetches.load(Ordering::SeqCst), 2, "one fetch for the first unknown kid");
    // a rotated key appears: found once the cooldown allows another fetch
    *keys.extra_kid.lock().unwrap() = Some("k2".into());
    assert_eq!(verifier.verify_cached(&token("k2")), Some(Err(Refusal::Invalid)), "within the cooldown");
    clock.advance(30);
    assert!(verifier.verify_cached(&token("k2")).is_none(), "a fetch is due");
    assert!(verifier.verify(&token("k2")).is_ok());
    assert_eq!(keys.fetches.load(Ordering::SeqCst), 3);
}

#[test]
fn keys_are_fetched_again_when_their_max_age_is_over() {
    let (verifier, keys, clock) = setup();
    verifier.verify(&token("k1")).unwrap();
    clock.advance(299);
    verifier.verify(&token("k1")).unwrap();
    assert_eq!(keys.fetches.load(Ordering::SeqCst), 1);
    clock.advance(1);
    verifier.verify(&token("k1")).unwrap();
    assert_eq!(keys.fetches.load(Ordering::SeqCst), 2);
}

#[test]
fn failed_fetches_keep_the_keys_for_a_bounded_time() {
    let (verifier, keys, clock) = setup();
    let token = |_: &str| token_with(eddsa("k1"), &key_from_seed(SEED), claims(100_000));
    keys.down.store(true, Ordering::SeqCst);
    assert_eq!(verifier.verify(&token("k1")), Err(Refusal::KeysUnavailable), "never fetched");
    keys.down.store(false, Ordering::SeqCst);
    clock.advance(1);
    verifier.verify(&token("k1")).unwrap();
    keys.down.store(true, Ordering::SeqCst);
    // past max-age, the fetch fails: the keys in hand still verify, for up to max_stale (6 h)
    clock.advance(301);
    verifier.verify(&token("k1")).unwrap();
    clock.advance(6 * 3600);
    assert_eq!(verifier.verify(&token("k1")), Err(Refusal::KeysUnavailable));
    keys.down.store(false, Ordering::SeqCst);
    clock.advance(1);
    assert!(verifier.verify(&token("k1")).is_ok(), "recovers by itself");
}

async fn hello(user: Authenticated) -> HttpResponse {
    HttpResponse::Ok().json(json!({"user_id": user.claims().user_id}))
}

#[actix_web::test]
async fn the_extractor_answers_like_auth_service() {
    let (verifier, _, _) = setup();
    let app = init_service(App::new().app_data(web::Data::new(verifier)).route("/hello", web::get().to(hello))).await;
    let call = |authorization: Option<String>| {
        let mut request = TestRequest::get().uri("/hello");
        if let Some(value) = authorization {
            request = request.insert_header(("Authorization", value));
        }
        request.to_request()
    };
    let ok = call_service(&app, call(Some(format!("Bearer {}", token("k1"))))).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(read_body_json::<Value, _>(ok).await, json!({"user_id": 42}));
    let expired = token_with(eddsa("k1"), &key_from_seed(SEED), claims(-5));
    let cases = [
        (None, "Provide a valid auth token."),
        (Some("Token abc".to_owned()), "Bearer token malformed."),
        (Some("Bearer".to_owned()), "Bearer token malformed."),
        (Some(format!("Bearer {expired}")), "Signature expired. Please log in again."),
        (Some("Bearer garbage".to_owned()), "Invalid token. Please log in again."),
    ];
    for (authorization, message) in cases {
        let response = call_service(&app, call(authorization.clone())).await;
        assert_eq!(response.status(), 401, "{authorization:?}");
        assert!(response.headers().contains_key("www-authenticate"));
        assert_eq!(read_body_json::<Value, _>(response).await, json!({"status": "fail", "message": message}));
    }
}
