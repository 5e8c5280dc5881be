//! Secrets stay out of the logs: a whole register/login/status/logout run, with failures, at debug
//! level in both log formats, never writes the password, the token or the signing secret.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct-horse-battery-staple";
const SECRET: &str = "a-signing-secret-that-must-never-be-logged-0123456789";

fn request(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    write!(stream, "{head}\r\n{body}").unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    reply
}

fn body_field(reply: &str, field: &str) -> String {
    let body = reply.split("\r\n\r\n").nth(1).unwrap();
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    json[field].as_str().unwrap().to_owned()
}

fn run_and_capture_logs(format: &str) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log_path = dir.path().join("server.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_auth-server"))
        .env_clear()
        .env("APP_CONFIG_DIR", PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config"))
        .env("APP_ENVIRONMENT", "test")
        .env("APP__DATABASE__URL", format!("sqlite://{}/auth.db", dir.path().display()))
        .env("APP__SERVER__PORT", port.to_string())
        .env("APP__TOKENS__SECRET", SECRET)
        .env("APP__LOG__FORMAT", format)
        .env("RUST_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(dir.path().join("stdout.log")).unwrap())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }

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
    let token = body_field(&request(port, "POST", "/auth/login", &json, &credentials), "auth_token");
    let bearer = format!("Bearer {token}");
    assert!(request(port, "GET", "/auth/status", &[("Authorization", &bearer)], "").starts_with("HTTP/1.1 200"));
    assert!(
        request(port, "GET", "/auth/status", &[("Authorization", &format!("Bearer{token}"))], "")
            .starts_with("HTTP/1.1 401")
    );
    assert!(request(port, "POST", "/auth/logout", &[("Authorization", &bearer)], "").starts_with("HTTP/1.1 200"));
    assert!(request(port, "POST", "/auth/logout", &[("Authorization", &bearer)], "").starts_with("HTTP/1.1 401"));

    child.kill().unwrap();
    child.wait().unwrap();
    let logs =
        std::fs::read_to_string(&log_path).unwrap() + &std::fs::read_to_string(dir.path().join("stdout.log")).unwrap();
    (logs, token)
}

fn assert_clean(format: &str) {
    let (logs, token) = run_and_capture_logs(format);
    assert!(logs.contains("/auth/logout"), "the requests were logged at all:\n{logs}");
    assert!(logs.contains("user logged in"), "{logs}");
    let signature = token.rsplit('.').next().unwrap();
    for (what, needle) in
        [("password", PASSWORD), ("token", token.as_str()), ("token signature", signature), ("secret", SECRET)]
    {
        assert!(!logs.contains(needle), "the {what} appears in the {format} logs:\n{logs}");
    }
}

#[test]
fn pretty_logs_hold_no_password_token_or_secret() {
    assert_clean("pretty");
}

#[test]
fn json_logs_hold_no_password_token_or_secret() {
    assert_clean("json");
}
