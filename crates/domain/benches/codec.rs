//! The hot path's pure work: token encode and verify (HS256 and EdDSA, each checked for the first time
//! and from the cache of checked tokens), email parsing.

use auth_domain::testing::MemoryStore;
use auth_domain::{Email, KeyEncryptionKey, KeyPolicy, KeyRing, SessionId, Signer, TokenCodec, TokenSettings, UserId};
use chrono::TimeDelta;
use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use secrecy::{ExposeSecret, SecretString};
use std::hint::black_box;
use std::sync::Arc;

fn settings() -> TokenSettings {
    TokenSettings { issuer: "auth-service".into(), access_ttl_secs: 3600, leeway_secs: 0 }
}

fn codec() -> TokenCodec {
    let secret = SecretString::from("bench-secret-bench-secret-bench-secret");
    TokenCodec::new(&settings(), Signer::hs256(&secret).unwrap()).unwrap()
}

fn tokens(c: &mut Criterion) {
    let codec = codec();
    let now = Utc::now();
    let token = codec.issue(UserId(42), SessionId::new_random(), now).unwrap().token.expose_secret().to_owned();
    c.bench_function("token encode", |b| {
        b.iter(|| codec.issue(black_box(UserId(42)), SessionId::new_random(), now).unwrap())
    });
    c.bench_function("token verify", |b| b.iter(|| codec.verify(black_box(&token), now).unwrap()));
    // A codec of its own per check: an empty cache, so each check is the signature's.
    c.bench_function("token verify (HS256, first check)", |b| {
        b.iter_batched(
            crate::codec,
            |fresh| fresh.verify(black_box(&token), now).unwrap(),
            criterion::BatchSize::SmallInput,
        )
    });
    c.bench_function("token verify (bad signature)", |b| {
        let forged = format!("{}x", &token[..token.len() - 1]);
        b.iter(|| codec.verify(black_box(&forged), now).unwrap_err())
    });
}

fn eddsa(c: &mut Criterion) {
    let now = Utc::now();
    let policy = KeyPolicy {
        rotation: None,
        publish_lead: TimeDelta::seconds(600),
        refresh: TimeDelta::seconds(3600),
        token_life: TimeDelta::seconds(3600),
    };
    let kek = KeyEncryptionKey::from_base64("YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktMzI=").unwrap();
    let ring = Arc::new(KeyRing::load(Arc::new(MemoryStore::default()), kek, policy, now).unwrap());
    let codec = TokenCodec::new(&settings(), Signer::EdDsa(ring.clone())).unwrap();
    let token = codec.issue(UserId(42), SessionId::new_random(), now).unwrap().token.expose_secret().to_owned();
    c.bench_function("token encode (EdDSA)", |b| {
        b.iter(|| codec.issue(black_box(UserId(42)), SessionId::new_random(), now).unwrap())
    });
    c.bench_function("token verify (EdDSA, checked before)", |b| {
        b.iter(|| codec.verify(black_box(&token), now).unwrap())
    });
    // A codec of its own per check: an empty cache, so each check is the signature's.
    c.bench_function("token verify (EdDSA, first check)", |b| {
        b.iter_batched(
            || TokenCodec::new(&settings(), Signer::EdDsa(ring.clone())).unwrap(),
            |fresh| fresh.verify(black_box(&token), now).unwrap(),
            criterion::BatchSize::SmallInput,
        )
    });
}

fn emails(c: &mut Criterion) {
    c.bench_function("email parse", |b| b.iter(|| Email::parse(black_box("  Joe.Bloggs@Example.COM ")).unwrap()));
}

criterion_group!(benches, tokens, eddsa, emails);
criterion_main!(benches);
