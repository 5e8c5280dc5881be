#![no_main]
//! Any bytes as a bearer token: the decoder must answer Ok or Err, never panic, hang or over-allocate.

use auth_domain::{TokenCodec, TokenSettings, UserId};
use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use secrecy::{ExposeSecret, SecretString};
use std::sync::LazyLock;

static CODEC: LazyLock<TokenCodec> = LazyLock::new(|| {
    TokenCodec::new(&TokenSettings {
        secret: SecretString::from("fuzz-secret-fuzz-secret-fuzz-secret-0123"),
        issuer: "auth-service".into(),
        access_ttl_secs: 3600,
        leeway_secs: 0,
    })
    .expect("valid settings")
});

static NOW: LazyLock<DateTime<Utc>> = LazyLock::new(|| DateTime::from_timestamp(1_800_000_000, 0).expect("time"));

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else { return };
    if let Ok(verified) = CODEC.verify(token, *NOW) {
        // Only a token this codec issued can verify; re-issuing for the same user must verify too.
        let again = CODEC.issue(verified.user_id, *NOW).expect("issue");
        assert!(CODEC.verify(again.token.expose_secret(), *NOW).is_ok());
        assert!(verified.user_id > UserId(0));
    }
});
