//! auth-server and the `auth-verify` crate's example downstream service as processes of their own:
//! the downstream service accepts our tokens and refuses the rest, and keeps accepting old and new
//! tokens across a key rotation made with the command line.

use crate::common::{Served, auth_server, http, post_json};
use auth_testkit::{Backend, TestDatabase, on_both_backends};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A publish lead of 2 s (the JWKS may then be cached for 1 s), keys re-read every second.
const KEYS: [(&str, &str); 3] = [
    ("APP__TOKENS__ALGORITHM", "EdDSA"),
    ("APP__TOKENS__KEY_PUBLISH_LEAD_SECS", "2"),
    ("APP__TOKENS__KEY_REFRESH_SECS", "1"),
];

struct Downstream {
    child: Child,
    port: u16,
}

impl Drop for Downstream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `cargo test` builds the workspace's examples next to the test binaries (target/<profile>/examples).
fn example() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = profile_dir.join("examples").join("downstream");
    assert!(
        path.exists(),
        "{} is missing: run the workspace's tests (`make test`), which build the examples, or \
         `cargo build -p auth-verify --examples`",
        path.display()
    );
    path
}

fn start_downstream(auth_port: u16) -> Downstream {
    let mut child = Command::new(example())
        .env("AUTH_JWKS_URL", format!("http://127.0.0.1:{auth_port}/.well-known/jwks.json"))
        .env("PORT", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let port = line.trim().rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("{line:?}"));
    Downstream { child, port }
}

fn hello(port: u16, token: Option<&str>) -> crate::common::Reply {
    let header = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = header.iter().map(|h| ("Authorization", h.as_str())).collect();
    http(port, "GET", "/hello", &headers, "").unwrap()
}

fn kid(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

fn login(port: u16) -> String {
    let reply = post_json(port, "/auth/login", &json!({"email": "joe@gmail.com", "password": "pw123456"}));
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["auth_token"].as_str().unwrap().to_owned()
}

fn a_downstream_service_verifies_our_tokens_across_a_rotation(backend: Backend) {
    let db = TestDatabase::new(backend);
    let auth = Served::start(db.url(), &KEYS, Stdio::null());
    let downstream = start_downstream(auth.port);

    let registered = post_json(auth.port, "/auth/register", &json!({"email": "joe@gmail.com", "password": "pw123456"}));
    assert_eq!(registered.status, 201, "{}", registered.body);
    let old = registered.json()["auth_token"].as_str().unwrap().to_owned();
    let sid = registered.json();
    let reply = hello(downstream.port, Some(&old));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["data"]["user_id"], 1);
    assert_eq!(reply.json()["data"]["session_id"].as_str().map(str::len), Some(36), "{sid}");
    let missing = hello(downstream.port, None);
    assert_eq!(
        (missing.status, missing.json()),
        (401, json!({"status": "fail", "message": "Provide a valid auth token."}))
    );

    let mut rotate = auth_server("test", db.url());
    rotate.envs(KEYS).args(["keys", "rotate"]);
    let out = rotate.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // the new key signs once the lead has passed
    let deadline = Instant::now() + Duration::from_secs(20);
    let new = loop {
        let token = login(auth.port);
        if kid(&token) != kid(&old) {
            break token;
        }
        assert!(Instant::now() < deadline, "the new key never signed");
        std::thread::sleep(Duration::from_millis(250));
    };
    for token in [&old, &new] {
        let reply = hello(downstream.port, Some(token));
        assert_eq!(reply.status, 200, "{}", reply.body);
    }

    // a token signed by a key that is not ours, under our new kid
    let mut der = vec![0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
    der.extend([9u8; 32]);
    let claims: serde_json::Value = {
        use base64::Engine as _;
        let payload = new.split('.').nth(1).unwrap();
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
    };
    let header =
        jsonwebtoken::Header { kid: Some(kid(&new)), ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA) };
    let forged = jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_ed_der(&der)).unwrap();
    let refused = hello(downstream.port, Some(&forged));
    assert_eq!(
        (refused.status, refused.json()),
        (401, json!({"status": "fail", "message": "Invalid token. Please log in again."}))
    );
}

on_both_backends!(a_downstream_service_verifies_our_tokens_across_a_rotation);
