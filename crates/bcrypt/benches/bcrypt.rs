//! One bcrypt verification at cost 12 (BENCH_BCRYPT_COST), the production default: the `bcrypt` crate's
//! own `verify` (its core is the `blowfish` crate) against ours (`eksblowfish.rs`), on the same stored
//! hash. Then the throughput of every core: one verification per core at a time, as before the engine,
//! against `BcryptEngine` (one thread per core, `LANES` side by side) fed `LANES` per core.
//! `scripts/bench/bcrypt-c.py` times the C implementation (libxcrypt) for the bar, one process per core.

use auth_bcrypt::{Bcrypt, BcryptEngine, LANES};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::Arc;

const PASSWORD: &str = "correct horse battery staple";

fn cost() -> u32 {
    std::env::var("BENCH_BCRYPT_COST").ok().and_then(|c| c.parse().ok()).unwrap_or(12)
}

fn verify(c: &mut Criterion) {
    let cost = cost();
    let stored = bcrypt::hash(PASSWORD, cost).expect("hash");
    let ours = Bcrypt::inline();
    let mut group = c.benchmark_group(format!("bcrypt verify (cost {cost})"));
    group.sample_size(10);
    group.bench_function("bcrypt crate", |b| b.iter(|| assert!(bcrypt::verify(black_box(PASSWORD), &stored).unwrap())));
    group.bench_function("auth-bcrypt (eksblowfish.rs)", |b| {
        b.iter(|| assert!(ours.verify(black_box(PASSWORD.as_bytes()), &stored)))
    });
    group.finish();
}

/// `callers` threads each verify once; an iteration ends when all have.
fn verify_at_once(bcrypt: &Bcrypt, stored: &str, callers: usize) {
    std::thread::scope(|scope| {
        for _ in 0..callers {
            scope.spawn(|| assert!(bcrypt.verify(PASSWORD.as_bytes(), stored)));
        }
    });
}

fn every_core(c: &mut Criterion) {
    let cost = cost();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let stored = bcrypt::hash(PASSWORD, cost).expect("hash");
    let alone = Bcrypt::inline();
    let engine = Bcrypt::on(Arc::new(BcryptEngine::start(cores).expect("threads")));
    let mut group = c.benchmark_group(format!("bcrypt verify on {cores} cores (cost {cost})"));
    group.sample_size(10);
    group.throughput(Throughput::Elements(cores as u64));
    group.bench_function("one per core", |b| b.iter(|| verify_at_once(&alone, &stored, cores)));
    let lanes = cores * LANES;
    group.throughput(Throughput::Elements(lanes as u64));
    group.bench_function(format!("BcryptEngine, {LANES} per core"), |b| {
        b.iter(|| verify_at_once(&engine, &stored, lanes))
    });
    group.finish();
}

criterion_group!(benches, verify, every_core);
criterion_main!(benches);
