//! EdDSA signing keys: tokens name their key, the JWKS publishes public parts only and verifies our
//! tokens with a stock library, forged and foreign tokens are refused, keys rotate across instances
//! without downtime, and a wrong key-encryption key fails at start-up.

use crate::helpers::{EMAIL, PASSWORD, TestApp, claims_of};
use actix_web::test::TestRequest;
use auth_domain::testing::ManualClock;
use auth_server::startup::Components;
use auth_testkit::{Backend, on_both_backends};
use chrono::{TimeDelta, TimeZone, Utc};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use std::sync::Arc;

const EDDSA: (&str, &str) = ("APP__TOKENS__ALGORITHM", "EdDSA");

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()))
}

fn header_of(token: &str) -> jsonwebtoken::Header {
    jsonwebtoken::decode_header(token).unwrap()
}

async fn jwks(app: &TestApp) -> (String, Value) {
    let reply = app.call(TestRequest::get().uri("/.well-known/jwks.json")).await;
    assert_eq!(reply.status.as_u16(), 200, "{reply:?}");
    let cache = reply.headers.get("cache-control").unwrap().to_str().unwrap().to_owned();
    (cache, reply.body)
}

use crate::helpers::foreign_eddsa_key as foreign_key;

async fn eddsa_tokens_name_their_key_and_the_contract_holds(backend: Backend) {
    let app = TestApp::with_clock(backend, &[EDDSA], clock());
    let (token, refresh) = app.register(EMAIL, PASSWORD).await.tokens(201, "Successfully registered.");
    let header = header_of(&token);
    assert_eq!(header.alg, Algorithm::EdDSA);
    let kid = header.kid.unwrap();
    assert_eq!(app.status(&token).await.status.as_u16(), 200);
    let refreshed = app.refresh(&refresh).await.token(200, "Successfully refreshed.");
    assert_eq!(header_of(&refreshed).kid.as_deref(), Some(kid.as_str()));
    app.logout(&token).await.assert(200, json!({"status": "success", "message": "Successfully logged out."}));
    app.status(&token).await.assert_fail(401, "Token blacklisted. Please log in again.");
    assert_eq!(app.db.signing_keys().len(), 1);
}

async fn the_jwks_publishes_public_parts_and_a_stock_library_verifies_with_it(backend: Backend) {
    let app = TestApp::with_clock(backend, &[EDDSA], clock());
    let token = app.registered_user().await;
    let (cache, body) = jwks(&app).await;
    assert_eq!(cache, "public, max-age=300", "half the publish lead");
    let key = &body["keys"][0];
    let mut fields: Vec<&str> = key.as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["alg", "crv", "kid", "kty", "use", "x"], "public parts only");
    assert_eq!(
        (&key["kty"], &key["crv"], &key["alg"], &key["use"]),
        (&json!("OKP"), &json!("Ed25519"), &json!("EdDSA"), &json!("sig"))
    );
    let stored = &app.db.signing_keys()[0];
    assert_eq!(key["x"], stored.public_key.as_str());
    assert!(!body.to_string().contains(&stored.sealed_private_key));

    // jsonwebtoken's own JWK types, outside the service's code path
    let set: JwkSet = serde_json::from_value(body).unwrap();
    let jwk = set.find(header_of(&token).kid.as_deref().unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.validate_exp = false;
    validation.set_issuer(&["auth-service"]);
    let claims =
        jsonwebtoken::decode::<Value>(&token, &DecodingKey::from_jwk(jwk).unwrap(), &validation).unwrap().claims;
    assert_eq!(claims["sub"], "1");

    let hs256 = TestApp::with_clock(backend, &[("APP__TOKENS__ALGORITHM", "HS256")], clock());
    let (_, body) = jwks(&hs256).await;
    assert_eq!(body, json!({"keys": []}), "a symmetric key is never published");
}

async fn forged_and_foreign_tokens_are_refused(backend: Backend) {
    let app = TestApp::with_clock(backend, &[EDDSA], clock());
    let token = app.registered_user().await;
    let kid = header_of(&token).kid.unwrap();
    let claims = claims_of(&token);
    let with = |header: Header, key: &EncodingKey| jsonwebtoken::encode(&header, &claims, key).unwrap();
    let eddsa = |kid: Option<&str>| Header { kid: kid.map(str::to_owned), ..Header::new(Algorithm::EdDSA) };
    let secret = EncodingKey::from_secret(app.settings.tokens.secret.expose_secret().as_bytes()).unwrap();
    let cases = [
        ("a foreign key under our kid", with(eddsa(Some(&kid)), &foreign_key(7))),
        ("an unknown kid", with(eddsa(Some("not-a-key-of-ours")), &foreign_key(7))),
        ("no kid", with(eddsa(None), &foreign_key(7))),
        ("HS256 with the secret", with(Header::new(Algorithm::HS256), &secret)),
        (
            "HS256 with the secret and our kid",
            with(Header { kid: Some(kid.clone()), ..Header::new(Algorithm::HS256) }, &secret),
        ),
        (
            "a jku header",
            with(Header { jku: Some("https://evil.example/jwks.json".into()), ..eddsa(Some(&kid)) }, &foreign_key(7)),
        ),
    ];
    for (case, forged) in cases {
        let reply = app.status(&forged).await;
        assert_eq!(reply.status.as_u16(), 401, "{case}: {reply:?}");
        assert_eq!(reply.body["message"], "Invalid token. Please log in again.", "{case}");
    }
    // a tampered kid on our own token
    let (head, rest) = token.split_once('.').unwrap();
    let tampered_header = serde_json::to_vec(&eddsa(Some("tampered"))).unwrap();
    use base64::Engine as _;
    let tampered = format!("{}.{rest}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tampered_header));
    assert_ne!(head, tampered.split('.').next().unwrap());
    app.status(&tampered).await.assert_fail(401, "Invalid token. Please log in again.");
    assert_eq!(app.status(&token).await.status.as_u16(), 200);
}

async fn a_rotation_on_one_instance_reaches_the_other(backend: Backend) {
    let clock = clock();
    let a = TestApp::with_clock(backend, &[EDDSA], clock.clone());
    let b = a.another_instance(clock.clone());
    let old = a.registered_user().await;
    let old_kid = header_of(&old).kid.unwrap();
    let new_kid = a.service().rotate_signing_key().unwrap().unwrap();
    assert_ne!(old_kid, new_kid);
    // within the publish lead: both sign with the old key, both publish both keys
    let (_, body) = jwks(&b).await;
    let published: Vec<&str> = body["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert!(published.contains(&old_kid.as_str()), "{published:?}");
    let during = b.login(EMAIL, PASSWORD).await.token(200, "Successfully logged in.");
    assert_eq!(header_of(&during).kid.as_deref(), Some(old_kid.as_str()));
    // b learns of the new key at its key task's next read (every key_refresh_secs, well within the lead)
    clock.advance(TimeDelta::seconds(600));
    b.read_keys(auth_domain::Clock::now(&*clock));
    let after = b.login(EMAIL, PASSWORD).await.token(200, "Successfully logged in.");
    assert_eq!(header_of(&after).kid.as_deref(), Some(new_kid.as_str()));
    for token in [&old, &during, &after] {
        assert_eq!(a.status(token).await.status.as_u16(), 200);
        assert_eq!(b.status(token).await.status.as_u16(), 200);
    }
    let (_, body) = jwks(&a).await;
    assert_eq!(body["keys"].as_array().unwrap().len(), 2);
    assert_eq!(a.db.signing_keys().len(), 2, "one rotation");
    let rotations = a.db.event_kinds().into_iter().filter(|(kind, _)| kind == "key_rotated").count();
    assert_eq!(rotations, 1, "recorded with the key");
}

/// After a leak: `keys revoke` takes the key out of the JWKS and its tokens are refused, here at once and
/// by another instance at its next read; the replacement signs at once, and the other instance accepts its
/// first token without having read it (the token asks for a read and waits for it).
async fn a_revoked_key_is_refused_everywhere_and_its_replacement_accepted_at_once(backend: Backend) {
    let clock = clock();
    let a = TestApp::with_clock(backend, &[EDDSA], clock.clone());
    let b = a.another_instance(clock.clone());
    let _key_task = b.start_key_task();
    let leaked_token = a.registered_user().await;
    let leaked = header_of(&leaked_token).kid.unwrap();
    assert_eq!(b.status(&leaked_token).await.status.as_u16(), 200);

    let replacement = a.service().revoke_signing_key(&leaked).unwrap().unwrap().expect("the leaked key was signing");
    a.status(&leaked_token).await.assert_fail(401, "Invalid token. Please log in again.");
    let (_, body) = jwks(&a).await;
    let published: Vec<&str> = body["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(published, [replacement.as_str()]);
    let fresh = a.login(EMAIL, PASSWORD).await.token(200, "Successfully logged in.");
    assert_eq!(header_of(&fresh).kid.as_deref(), Some(replacement.as_str()));
    // b has not read the keys since: the fresh token makes it read them, and passes
    assert_eq!(b.status(&fresh).await.status.as_u16(), 200);
    b.status(&leaked_token).await.assert_fail(401, "Invalid token. Please log in again.");
    let mut states: Vec<(String, &str)> =
        a.db.signing_keys().into_iter().map(|k| (k.kid, k.revoked_at.map_or("live", |_| "revoked"))).collect();
    states.sort();
    let mut expected = vec![(leaked, "revoked"), (replacement, "live")];
    expected.sort();
    assert_eq!(states, expected);
    let revocations = a.db.event_kinds().into_iter().filter(|(kind, _)| kind == "key_revoked").count();
    assert_eq!(revocations, 1);
}

async fn a_wrong_key_encryption_key_fails_at_start_up(backend: Backend) {
    let app = TestApp::with_clock(backend, &[EDDSA], clock());
    let mut settings = app.settings.clone();
    settings.tokens.key_encryption_key = "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktMzI=".to_owned().into();
    let Err(error) = Components::build(&settings, clock()) else { panic!("started with the wrong key") };
    let message = error.to_string();
    assert!(message.contains("cannot be opened with tokens.key_encryption_key"), "{message}");
    assert!(!message.contains("b3RoZXIta2V5"), "{message}");
}

on_both_backends!(async
    eddsa_tokens_name_their_key_and_the_contract_holds,
    the_jwks_publishes_public_parts_and_a_stock_library_verifies_with_it,
    forged_and_foreign_tokens_are_refused,
    a_rotation_on_one_instance_reaches_the_other,
    a_revoked_key_is_refused_everywhere_and_its_replacement_accepted_at_once,
    a_wrong_key_encryption_key_fails_at_start_up,
);
