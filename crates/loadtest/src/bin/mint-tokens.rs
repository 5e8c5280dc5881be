//! `mint-tokens USER_ID COUNT`: prints COUNT tokens for USER_ID, one per line, signed with
//! $APP__TOKENS__SECRET (issuer $APP__TOKENS__ISSUER, default auth-service).

use secrecy::SecretString;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(user_id), Some(count)) =
        (args.first().and_then(|a| a.parse().ok()), args.get(1).and_then(|a| a.parse().ok()))
    else {
        eprintln!("usage: mint-tokens USER_ID COUNT  (secret from APP__TOKENS__SECRET)");
        return ExitCode::from(2);
    };
    let Ok(secret) = std::env::var("APP__TOKENS__SECRET") else {
        eprintln!("mint-tokens: APP__TOKENS__SECRET is not set");
        return ExitCode::from(2);
    };
    let issuer = std::env::var("APP__TOKENS__ISSUER").unwrap_or_else(|_| "auth-service".to_owned());
    let tokens = match auth_loadtest::mint(SecretString::from(secret), &issuer, user_id, count, chrono::Utc::now()) {
        Ok(tokens) => tokens,
        Err(e) => {
            eprintln!("mint-tokens: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for token in tokens {
        if writeln!(out, "{token}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
