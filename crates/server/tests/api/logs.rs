//! Secrets stay out of the logs: a whole register/login/refresh/status/logout run, with failures, at
//! debug level in both log formats, never writes the password, a token, a refresh token or the secret.

use crate::common::{Served, http};
use std::process::Stdio;

const PASSWORD: &str = "correct-horse-battery-staple";
const SECRET: &str = "a-signing-secret-that-must-never-be-logged-0123456789";
/// The key-encryption key (32 bytes, base64): neither it nor a sealed signing key may be logged.
const KEK: &str = "bmV2ZXItbG9nLXRoZS1rZXktZW5jcnlwdGlvbi1rZXk=";

fn request(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    let reply = http(port, method, path, headers, body).unwrap();
    format!("{}\r\n\r\n{}", reply.head, reply.body)
}

fn body_field(reply: &str, field: &str) -> String {
    let body = reply.split("\r\n\r\n").nth(1).unwrap();
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    json[field].as_str().unwrap().to_owned()
}

/// The sealed private key of the (only) signing key, as the database holds it.
fn sealed_signing_key(db: &std::path::Path) -> String {
    let db = auth_testkit::TestDatabase::sqlite_at(db);
    let keys = db.signing_keys();
    assert_eq!(keys.len(), 1);
    keys[0].sealed_private_key.clone()
}

fn run_and_capture_logs(format: &str) -> (String, String, [String; 3]) {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("server.log");
    let server = Served::start(
        &format!("sqlite://{}/auth.db", dir.path().display()),
        &[
            ("APP__TOKENS__SECRET", SECRET),
            ("APP__TOKENS__ALGORITHM", "EdDSA"),
            ("APP__TOKENS__KEY_ENCRYPTION_KEY", KEK),
            ("APP__LOG__FORMAT", format),
            ("RUST_LOG", "debug"),
        ],
        Stdio::from(std::fs::File::create(&log_path).unwrap()),
    );
    let port = server.port;

    let json = [("Content-Type", "application/json")];
    let credentials = format!(r#"{{"email":"joe@gmail.com","password":"{PASSWORD}"}}"#);
    let registered = request(port, "POST", "/auth/register", &json, &credentials);
    assert!(registered.starts_with("HTTP/1.1 201"), "{registered}");
    request(port, "POST", "/auth/register", &json, &credentials);
    let wrong = format!(r#"{{"email":"joe@gmail.com","password":"{PASSWORD}-wrong"}}"#);
    request(port, "POST", "/auth/login", &json, &wrong);
    request(port, "POST", "/auth/login", &json, &format!(r#"{{"email":"joe@gmail.com","password":"{PASSWORD}"#));
    request(
        port,
        "POST",
        "/auth/register",
        &json,
        &format!(r#"{{"email":"ann@gmail.com","password":"{PASSWORD}","x":[}}"#),
    );
    let login = request(port, "POST", "/auth/login", &json, &credentials);
    let (token, refresh) = (body_field(&login, "auth_token"), body_field(&login, "refresh_token"));
    let refreshed = request(port, "POST", "/auth/refresh", &json, &format!(r#"{{"refresh_token":"{refresh}"}}"#));
    let new_refresh = body_field(&refreshed, "refresh_token");
    let bearer = format!("Bearer {token}");
    assert!(request(port, "GET", "/auth/status", &[("Authorization", &bearer)], "").starts_with("HTTP/1.1 200"));
    assert!(
        request(port, "GET", "/auth/status", &[("Authorization", &format!("Bearer{token}"))], "")
            .starts_with("HTTP/1.1 401")
    );
    assert!(request(port, "POST", "/auth/logout", &[("Authorization", &bearer)], "").starts_with("HTTP/1.1 200"));
    assert!(request(port, "POST", "/auth/logout", &[("Authorization", &bearer)], "").starts_with("HTTP/1.1 401"));

    drop(server);
    let sealed = sealed_signing_key(&dir.path().join("auth.db"));
    (std::fs::read_to_string(&log_path).unwrap(), token, [refresh, new_refresh, sealed])
}

/// How many requests `run_and_capture_logs` sends.
const REQUESTS: usize = 11;

fn assert_clean(format: &str) {
    let (logs, token, kept) = run_and_capture_logs(format);
    assert!(logs.contains("/auth/logout"), "the requests were logged at all:\n{logs}");
    assert!(logs.contains("user logged in"), "{logs}");
    let signature = token.rsplit('.').next().unwrap();
    for (what, needle) in [
        ("password", PASSWORD),
        ("token", token.as_str()),
        ("token signature", signature),
        ("secret", SECRET),
        ("refresh token", kept[0].as_str()),
        ("rotated refresh token", kept[1].as_str()),
        ("key-encryption key", KEK),
        ("sealed signing key", &kept[2][..40]),
    ] {
        assert!(!logs.contains(needle), "the {what} appears in the {format} logs:\n{logs}");
    }
    // Each request is logged once, and client errors (202, 400, 401, 404 here) are not warnings.
    assert_eq!(logs.matches("request completed").count(), REQUESTS, "{logs}");
    let warnings = logs.lines().filter(|l| l.contains(" WARN ") || l.contains(r#""level":"WARN""#)).count();
    assert_eq!(warnings, 0, "{logs}");
    assert!(!logs.contains("Error encountered while processing"), "{logs}");
    // Written to a file, not a terminal: no colour codes.
    assert!(!logs.contains('\u{1b}'), "ANSI escape codes in the {format} log file");
}

#[test]
fn pretty_logs_hold_no_password_token_or_secret() {
    assert_clean("pretty");
}

#[test]
fn json_logs_hold_no_password_token_or_secret() {
    assert_clean("json");
}

/// The kernel silently shortens a listen queue longer than `net.core.somaxconn`; the operator is told.
#[test]
fn a_listen_backlog_over_the_kernel_cap_is_logged() {
    let cap: u32 = std::fs::read_to_string("/proc/sys/net/core/somaxconn").unwrap().trim().parse().unwrap();
    assert!(cap < 65_535, "somaxconn is {cap}: no backlog in range is over it here");
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("server.log");
    let backlog = (cap + 1).to_string();
    let server = Served::start(
        &format!("sqlite://{}/auth.db", dir.path().display()),
        &[("APP__SERVER__LISTEN_BACKLOG", &backlog), ("APP__LOG__FORMAT", "json")],
        Stdio::from(std::fs::File::create(&log_path).unwrap()),
    );
    assert_eq!(http(server.port, "GET", "/health/live", &[], "").unwrap().status, 200);
    drop(server);
    let logs = std::fs::read_to_string(&log_path).unwrap();
    let warning: serde_json::Value = logs
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .find(|line: &serde_json::Value| line["message"].as_str().is_some_and(|m| m.contains("somaxconn")))
        .unwrap_or_else(|| panic!("no warning in:\n{logs}"));
    assert_eq!(warning["level"], "WARN", "{warning}");
    assert_eq!(warning["backlog"], u64::from(cap) + 1, "{warning}");
    assert_eq!(warning["somaxconn"], u64::from(cap), "{warning}");
}
