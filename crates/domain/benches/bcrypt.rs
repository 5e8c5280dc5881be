//! One bcrypt verification at cost 12 (BENCH_BCRYPT_COST), the production default: the `bcrypt` crate's
//! own `verify` (its core is the `blowfish` crate) against the hasher logins use (`eksblowfish.rs`), on
//! the same stored hash. `scripts/bench/bcrypt-c.py` times the C implementation (libxcrypt) for the bar.

use auth_domain::{PasswordHash, PasswordHasher};
use criterion::{Criterion, criterion_group, criterion_main};
use secrecy::SecretString;
use std::hint::black_box;

const PASSWORD: &str = "correct horse battery staple";

fn cost() -> u32 {
    std::env::var("BENCH_BCRYPT_COST").ok().and_then(|c| c.parse().ok()).unwrap_or(12)
}

fn verify(c: &mut Criterion) {
    let cost = cost();
    let stored = bcrypt::hash(PASSWORD, cost).expect("hash");
    let hasher = PasswordHasher::new(cost).expect("cost in range");
    let ours = PasswordHash::from_stored(stored.clone());
    let candidate = SecretString::from(PASSWORD);
    let mut group = c.benchmark_group(format!("bcrypt verify (cost {cost})"));
    group.sample_size(10);
    group.bench_function("bcrypt crate", |b| b.iter(|| assert!(bcrypt::verify(black_box(PASSWORD), &stored).unwrap())));
    group.bench_function("PasswordHasher (eksblowfish.rs)", |b| {
        b.iter(|| assert!(hasher.verify(black_box(&candidate), Some(&ours))))
    });
    group.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
