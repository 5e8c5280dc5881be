//! The hot path's pure work: token encode and verify, email parsing.

use auth_domain::{Email, TokenCodec, TokenSettings, UserId};
use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use secrecy::{ExposeSecret, SecretString};
use std::hint::black_box;

fn codec() -> TokenCodec {
    TokenCodec::new(&TokenSettings {
        secret: SecretString::from("bench-secret-bench-secret-bench-secret"),
        issuer: "auth-service".into(),
        access_ttl_secs: 3600,
        leeway_secs: 0,
    })
    .unwrap()
}

fn tokens(c: &mut Criterion) {
    let codec = codec();
    let now = Utc::now();
    let token = codec.issue(UserId(42), now).unwrap().token.expose_secret().to_owned();
    c.bench_function("token encode", |b| b.iter(|| codec.issue(black_box(UserId(42)), now).unwrap()));
    c.bench_function("token verify", |b| b.iter(|| codec.verify(black_box(&token), now).unwrap()));
    c.bench_function("token verify (bad signature)", |b| {
        let forged = format!("{}x", &token[..token.len() - 1]);
        b.iter(|| codec.verify(black_box(&forged), now).unwrap_err())
    });
}

fn emails(c: &mut Criterion) {
    c.bench_function("email parse", |b| b.iter(|| Email::parse(black_box("  Joe.Bloggs@Example.COM ")).unwrap()));
}

criterion_group!(benches, tokens, emails);
criterion_main!(benches);
