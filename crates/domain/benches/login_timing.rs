//! Login must not reveal which emails exist: a login for an unknown email does the same bcrypt work as a
//! wrong password for a known one. This measures both at the configured cost (BENCH_BCRYPT_COST,
//! default 12, the production default), prints their medians and the ratio, and fails outside 0.9–1.1.
//! The hashes run on a `BcryptEngine`, as in the server.

use auth_bcrypt::{Bcrypt, BcryptEngine};
use auth_domain::testing::{MemoryStore, memory_service_hashing};
use auth_domain::{AuthService, ClientInfo, LoginError, SystemClock, ThrottlePolicy};
use criterion::{Criterion, criterion_group};
use secrecy::SecretString;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn cost() -> u32 {
    std::env::var("BENCH_BCRYPT_COST").ok().and_then(|c| c.parse().ok()).unwrap_or(12)
}

/// Attempt limits off: past five failures they would answer at once, before any hash, and the
/// benchmark would time the throttle instead of bcrypt.
fn service() -> AuthService {
    let engine = BcryptEngine::start(std::thread::available_parallelism().map_or(1, usize::from)).expect("threads");
    let bcrypt = Bcrypt::on(Arc::new(engine));
    let service = memory_service_hashing(Arc::new(MemoryStore::default()), cost(), Arc::new(SystemClock), bcrypt)
        .with_throttle_policy(ThrottlePolicy::off());
    service.register("known@example.com", SecretString::from("the-right-password"), ClientInfo::default()).unwrap();
    service
}

fn unknown_email(service: &AuthService) {
    let result = service.login("unknown@example.com", &SecretString::from("the-right-password"), ClientInfo::default());
    assert!(matches!(black_box(result), Err(LoginError::InvalidCredentials)));
}

fn wrong_password(service: &AuthService) {
    let result = service.login("known@example.com", &SecretString::from("a-wrong-password"), ClientInfo::default());
    assert!(matches!(black_box(result), Err(LoginError::InvalidCredentials)));
}

fn login_failures(c: &mut Criterion) {
    let service = service();
    let mut group = c.benchmark_group(format!("login failure (bcrypt cost {})", cost()));
    group.sample_size(10);
    group.bench_function("unknown email", |b| b.iter(|| unknown_email(&service)));
    group.bench_function("wrong password", |b| b.iter(|| wrong_password(&service)));
    group.finish();
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Interleaved samples, so drift in the machine's speed hits both sides alike.
#[allow(clippy::print_stdout)] // a benchmark reports on stdout
fn ratio_check() {
    let service = service();
    let rounds = std::env::var("BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(31);
    let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let started = Instant::now();
        unknown_email(&service);
        unknown.push(started.elapsed());
        let started = Instant::now();
        wrong_password(&service);
        wrong.push(started.elapsed());
    }
    let (unknown, wrong) = (median(unknown), median(wrong));
    let batches = service.bcrypt_batches();
    assert!(batches[0] >= 2 * rounds as u64, "the hashes did not run on the engine: {batches:?}");
    let ratio = unknown.as_secs_f64() / wrong.as_secs_f64();
    println!(
        "login timing at bcrypt cost {}: unknown email median {unknown:.2?}, wrong password median {wrong:.2?}, ratio {ratio:.3} ({rounds} rounds each)",
        cost()
    );
    assert!(
        (0.9..=1.1).contains(&ratio),
        "ratio {ratio:.3} is outside 0.9–1.1: login timing reveals which emails exist"
    );
}

criterion_group!(benches, login_failures);

fn main() {
    benches();
    ratio_check();
    Criterion::default().configure_from_args().final_summary();
}
