//! What following the revocation feed costs a downstream service: `verify` with 100,000 live entries
//! against without a feed (target: at most 1.1 ×), and the memory those entries take (printed, and
//! written to target/criterion/revocation_feed_memory.txt).

use auth_verify::{Clock, FeedConfig, FetchError, Fetched, JwksSource, Verifier, VerifierConfig};
use chrono::{DateTime, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use std::sync::Arc;

/// RFC 8032, 7.1, TEST 1.
const SEED: [u8; 32] = [
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5,
    0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
];
const PUBLIC_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
const ENTRIES: usize = 100_000;

struct Fixed;

impl JwksSource for Fixed {
    fn fetch(&self) -> Result<Fetched, FetchError> {
        Ok(Fetched { keys: vec![("k1".to_owned(), DecodingKey::from_ed_components(PUBLIC_X).unwrap())], max_age: None })
    }
}

struct At(DateTime<Utc>);

impl Clock for At {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0).unwrap()
}

fn token() -> String {
    let mut der = vec![0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
    der.extend(SEED);
    let claims = serde_json::json!({
        "sub": "42", "iat": now().timestamp(), "exp": now().timestamp() + 3600, "iss": "auth-service",
        "jti": "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f", "sid": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    });
    let header = Header { kid: Some("k1".to_owned()), ..Header::new(Algorithm::EdDSA) };
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(&der)).unwrap()
}

fn verifier() -> Verifier {
    Verifier::with_source(VerifierConfig::new("unused", "auth-service"), Fixed, Arc::new(At(now())))
}

/// Resident memory, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
        .unwrap_or(0)
}

fn entries() -> Vec<String> {
    let until = now().timestamp() + 3600;
    (0..ENTRIES)
        .map(|i| {
            let kind = if i % 2 == 0 { "sid" } else { "jti" };
            format!(r#"{{"id":{i},"{kind}":"{:08x}-0000-4000-8000-{:012x}","until":{until}}}"#, i, i)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let token = token();
    let plain = verifier();
    assert!(plain.verify(&token).is_ok());
    let lines = entries();
    let before = rss_kib();
    let following = verifier().with_revocation_entries(FeedConfig::new("unused"), lines.iter().map(String::as_str));
    let after = rss_kib();
    drop(lines);
    assert_eq!(following.feed_health().map(|h| h.entries), Some(ENTRIES));
    assert!(following.verify(&token).is_ok());
    let report = format!(
        "{ENTRIES} live revocation entries: {} KiB more resident memory ({} bytes an entry)\n",
        after.saturating_sub(before),
        after.saturating_sub(before) * 1024 / ENTRIES as u64
    );
    eprint!("{report}");
    let _ = std::fs::create_dir_all("../../target/criterion");
    let _ = std::fs::write("../../target/criterion/revocation_feed_memory.txt", &report);

    let mut group = c.benchmark_group("verify");
    group.bench_function("without the feed", |b| b.iter(|| plain.verify(std::hint::black_box(&token))));
    group
        .bench_function("with the feed, 100000 entries", |b| b.iter(|| following.verify(std::hint::black_box(&token))));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
