//! `mint-tokens USER_ID COUNT`: prints COUNT tokens for USER_ID, one per line, signed as the service
//! configured by the environment signs them: with EdDSA (the default), by the signing key in force in
//! the database at $APP__DATABASE__URL, opened with $APP__TOKENS__KEY_ENCRYPTION_KEY; with
//! APP__TOKENS__ALGORITHM=HS256, with $APP__TOKENS__SECRET. Issuer $APP__TOKENS__ISSUER (auth-service).

use auth_domain::{KeyEncryptionKey, KeyPolicy, KeyRing, TokenCodec, TokenSettings};
use auth_persistence::{DatabaseUrl, DieselStore, PoolSettings};
use chrono::{TimeDelta, Utc};
use secrecy::SecretString;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

fn var(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

fn codec() -> Result<TokenCodec, String> {
    let settings = TokenSettings {
        secret: SecretString::from(var("APP__TOKENS__SECRET")?),
        issuer: std::env::var("APP__TOKENS__ISSUER").unwrap_or_else(|_| "auth-service".to_owned()),
        access_ttl_secs: 3600,
        leeway_secs: 0,
    };
    if std::env::var("APP__TOKENS__ALGORITHM").is_ok_and(|a| a == "HS256") {
        return TokenCodec::new(&settings).map_err(|e| e.to_string());
    }
    let pool = PoolSettings {
        url: DatabaseUrl::parse(&var("APP__DATABASE__URL")?).map_err(|e| e.to_string())?,
        max_size: 1,
        acquire_timeout: Duration::from_secs(5),
        sqlite_busy_timeout_ms: 5000,
        statement_timeout_ms: 5000,
    };
    let store = Arc::new(DieselStore::open(&pool).map_err(|e| e.to_string())?);
    let kek = KeyEncryptionKey::from_base64(&var("APP__TOKENS__KEY_ENCRYPTION_KEY")?).map_err(|e| e.to_string())?;
    // Never rotates: the service does that.
    let policy = KeyPolicy {
        rotation: None,
        publish_lead: TimeDelta::seconds(600),
        refresh: TimeDelta::seconds(3600),
        token_life: TimeDelta::seconds(3600),
    };
    let ring = KeyRing::load(store, kek, policy, Utc::now()).map_err(|e| e.to_string())?;
    TokenCodec::with_keys(&settings, Arc::new(ring)).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(user_id), Some(count)) =
        (args.first().and_then(|a| a.parse().ok()), args.get(1).and_then(|a| a.parse().ok()))
    else {
        eprintln!("usage: mint-tokens USER_ID COUNT  (see the top of crates/loadtest/src/bin/mint-tokens.rs)");
        return ExitCode::from(2);
    };
    let codec = match codec() {
        Ok(codec) => codec,
        Err(e) => {
            eprintln!("mint-tokens: {e}");
            return ExitCode::from(2);
        }
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for token in auth_loadtest::mint(&codec, user_id, count, Utc::now()) {
        if writeln!(out, "{token}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
