//! One bcrypt verification at cost 12 (BENCH_BCRYPT_COST), the production default: the `bcrypt` crate's
//! own `verify` (its core is the `blowfish` crate) against the hasher logins use (`eksblowfish.rs`), on
//! the same stored hash. Then the throughput of every core: one verification per core at a time, as
//! before the engine, against `BcryptEngine` (one thread per core, four side by side) fed four per core.
//! `scripts/bench/bcrypt-c.py` times the C implementation (libxcrypt) for the bar, one process per core.

use auth_domain::{BcryptEngine, PasswordHash, PasswordHasher};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use secrecy::SecretString;
use std::hint::black_box;
use std::sync::Arc;

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

/// `callers` threads each verify once; an iteration ends when all have.
fn verify_at_once(hasher: &PasswordHasher, stored: &PasswordHash, callers: usize) {
    let candidate = SecretString::from(PASSWORD);
    std::thread::scope(|scope| {
        for _ in 0..callers {
            scope.spawn(|| assert!(hasher.verify(&candidate, Some(stored))));
        }
    });
}

fn every_core(c: &mut Criterion) {
    let cost = cost();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let stored = PasswordHash::from_stored(bcrypt::hash(PASSWORD, cost).expect("hash"));
    let alone = PasswordHasher::new(cost).expect("cost in range");
    let engine = Arc::new(BcryptEngine::start(cores).expect("threads"));
    let with_engine = PasswordHasher::new(cost).expect("cost in range").with_engine(engine);
    let mut group = c.benchmark_group(format!("bcrypt verify on {cores} cores (cost {cost})"));
    group.sample_size(10);
    group.throughput(Throughput::Elements(cores as u64));
    group.bench_function("one per core", |b| b.iter(|| verify_at_once(&alone, &stored, cores)));
    let lanes = cores * BcryptEngine::LANES;
    group.throughput(Throughput::Elements(lanes as u64));
    group.bench_function("BcryptEngine, four per core", |b| b.iter(|| verify_at_once(&with_engine, &stored, lanes)));
    group.finish();
}

criterion_group!(benches, verify, every_core);
criterion_main!(benches);
