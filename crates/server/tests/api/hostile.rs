//! Forged and malformed tokens and Authorization headers: every one is a 401 (or 400/431) JSON answer
//! with the contract's message, never a 5xx, and nothing is stored.

use crate::helpers::TestApp;
use actix_web::test::TestRequest;
use auth_testkit::{Backend, on_both_backends};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

const INVALID: &str = "Invalid token. Please log in again.";
const MALFORMED: &str = "Bearer token malformed.";

fn claims(user_id: i64) -> Value {
    let now = Utc::now().timestamp();
    json!({"sub": user_id.to_string(), "iat": now, "exp": now + 3600, "jti": uuid::Uuid::new_v4().to_string(), "iss": "auth-service"})
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims.as_object_mut().unwrap().insert(key.to_owned(), value);
    claims
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().unwrap().remove(key);
    claims
}

fn segment(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// Signs `claims` with the service's own EdDSA key, under its kid: the signature and the header pass, so
/// only the claims' check can refuse what it signs.
pub fn signed_by_the_service(app: &TestApp, claims: &Value) -> String {
    let keys = app.service().token_codec().key_ring().expect("EdDSA, the default").keys();
    let (kid, key) = keys.signing_key(Utc::now()).expect("a signing key");
    let header = Header { kid: Some(kid.to_owned()), ..Header::new(Algorithm::EdDSA) };
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

/// Forged tokens that an attacker holding no key, or a stolen one used oddly, might send.
fn hostile_tokens(app: &TestApp, user_id: i64) -> Vec<(String, String)> {
    let secret = app.settings.tokens.secret.expose_secret().to_owned();
    let key = EncodingKey::from_secret(secret.as_bytes()).unwrap();
    let sign = |header: Header, claims: &Value| jsonwebtoken::encode(&header, claims, &key).unwrap();
    let own = |claims: &Value| signed_by_the_service(app, claims);
    let header_with = |f: &dyn Fn(&mut Header)| {
        let mut header = Header::new(Algorithm::HS256);
        f(&mut header);
        header
    };
    let good = claims(user_id);
    let now = Utc::now().timestamp();
    let mut tokens = Vec::new();
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = json!({"alg": alg, "typ": "JWT"});
        tokens.push((format!("alg {alg}"), format!("{}.{}.", segment(&header), segment(&good))));
        tokens.push((format!("alg {alg}, signed"), format!("{}.{}.c2lnbmF0dXJl", segment(&header), segment(&good))));
    }
    tokens.push(("HS512 with our secret".into(), sign(Header::new(Algorithm::HS512), &good)));
    tokens.push((
        "RS256 header".into(),
        format!(
            "{}.{}.{}",
            segment(&json!({"alg": "RS256", "typ": "JWT"})),
            segment(&good),
            URL_SAFE_NO_PAD.encode([7u8; 256])
        ),
    ));
    tokens.push(("kid header".into(), sign(header_with(&|h| h.kid = Some("../../dev/null".into())), &good)));
    tokens.push((
        "jku header".into(),
        sign(header_with(&|h| h.jku = Some("http://127.0.0.1:1/jwks.json".into())), &good),
    ));
    tokens.push(("good claims under HS256 with our secret".into(), sign(Header::new(Algorithm::HS256), &good)));
    // the claims' cases, signed with the service's own key: only the claims' check refuses them
    tokens.push(("non-numeric sub".into(), own(&with(good.clone(), "sub", json!("admin")))));
    tokens.push(("negative sub".into(), own(&with(good.clone(), "sub", json!("-1")))));
    tokens.push(("sub with a plus".into(), own(&with(good.clone(), "sub", json!(format!("+{user_id}"))))));
    tokens.push(("sub with a leading zero".into(), own(&with(good.clone(), "sub", json!(format!("0{user_id}"))))));
    tokens.push(("numeric sub".into(), own(&with(good.clone(), "sub", json!(user_id)))));
    let future = with(with(good.clone(), "iat", json!(now + 86_400)), "exp", json!(now + 10 * 365 * 86_400));
    tokens.push(("iat and exp in the far future".into(), own(&future)));
    tokens.push(("missing jti".into(), own(&without(good.clone(), "jti"))));
    tokens.push(("jti not a canonical uuid".into(), own(&with(good.clone(), "jti", json!("not-a-uuid")))));
    tokens.push(("other issuer".into(), own(&with(good.clone(), "iss", json!("evil")))));
    let padded = with(good.clone(), "pad", json!("x".repeat(9000)));
    tokens.push(("over 8 KiB, validly signed".into(), own(&padded)));
    tokens.push(("header not JSON".into(), format!("{}.{}.sig", URL_SAFE_NO_PAD.encode("{{{"), segment(&good))));
    tokens.push(("bad base64".into(), "!!!.???.***".into()));
    tokens
}

async fn forged_tokens_are_refused_on_status_and_logout(backend: Backend) {
    let app = TestApp::new(backend);
    app.registered_user().await;
    let user_id = app.db.users()[0].id;
    // the service's key signs what passes: the claims' cases below fail on their claims alone
    assert_eq!(app.status(&signed_by_the_service(&app, &claims(user_id))).await.status, 200);
    for (what, token) in hostile_tokens(&app, user_id) {
        let status = app.status(&token).await;
        assert_eq!(status.body["message"], INVALID, "status, {what}: {status:?}");
        status.assert_fail(401, INVALID);
        let logout = app.logout(&token).await;
        assert_eq!(logout.body["message"], INVALID, "logout, {what}: {logout:?}");
        logout.assert_fail(401, INVALID);
    }
    assert!(app.db.revocations().is_empty());
}

async fn odd_authorization_headers_are_refused(backend: Backend) {
    let app = TestApp::new(backend);
    let token = app.registered_user().await;
    for path in ["/auth/status", "/auth/logout"] {
        let request = |value: &[u8]| {
            let base = if path == "/auth/status" { TestRequest::get() } else { TestRequest::post() };
            base.uri(path)
                .insert_header(("Authorization", actix_web::http::header::HeaderValue::from_bytes(value).unwrap()))
        };
        // not UTF-8, and not ASCII
        app.call(request(&[b"Bearer ".as_slice(), &[0xff, 0xfe, 0x80]].concat())).await.assert_fail(401, MALFORMED);
        app.call(request("Bearer tökén".as_bytes())).await.assert_fail(401, MALFORMED);
        // two Authorization headers, even if one is right
        let base = if path == "/auth/status" { TestRequest::get() } else { TestRequest::post() };
        let two = base
            .uri(path)
            .append_header(("Authorization", format!("Bearer {token}")))
            .append_header(("Authorization", format!("Bearer {token}")));
        app.call(two).await.assert_fail(401, MALFORMED);
        // 16 KiB
        app.call(request(format!("Bearer {}", "a".repeat(16 * 1024)).as_bytes())).await.assert_fail(401, INVALID);
        app.call(request(&vec![b'x'; 16 * 1024])).await.assert_fail(401, MALFORMED);
    }
    assert!(app.db.revocations().is_empty());
    assert_eq!(app.status(&token).await.status, 200, "the real token still works");
}

on_both_backends!(async forged_tokens_are_refused_on_status_and_logout, odd_authorization_headers_are_refused);

/// What the server's HTTP layer refuses before any route runs is JSON too: a head over its 128 KiB
/// buffer (a 140 KB `Authorization`, as a token with a 100 KB `kid`), one with too many headers, bytes
/// that are not HTTP. Over real TCP: only a real connection has a head to parse.
#[actix_web::test]
async fn heads_the_server_cannot_read_get_a_json_answer() {
    use std::io::{Read, Write};
    let app = crate::common::Running::start(&[]).await;
    let port = app.port;
    let send = move |head: Vec<u8>| {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
        let _ = stream.write_all(&head);
        let mut reply = Vec::new();
        let _ = stream.read_to_end(&mut reply);
        String::from_utf8_lossy(&reply).into_owned()
    };
    let huge_token = format!("Bearer {}", "a".repeat(140 * 1024));
    let too_large = format!("GET /auth/status HTTP/1.1\r\nHost: x\r\nAuthorization: {huge_token}\r\n\r\n");
    let many: String = (0..120).map(|n| format!("X-Header-{n}: {n}\r\n")).collect();
    let too_many = format!("GET /auth/status HTTP/1.1\r\nHost: x\r\n{many}\r\n");
    let replies = crate::common::blocking(move || {
        [send(too_large.into_bytes()), send(too_many.into_bytes()), send(b"NOT HTTP AT ALL\r\n\r\n".to_vec())]
    })
    .await;
    for (reply, status, message) in [
        (&replies[0], "431", "Request header fields too large."),
        (&replies[1], "431", "Request header fields too large."),
        (&replies[2], "400", "Malformed HTTP request."),
    ] {
        assert!(reply.starts_with(&format!("HTTP/1.1 {status} ")), "{reply}");
        assert!(reply.to_ascii_lowercase().contains("content-type: application/json"), "{reply}");
        assert!(reply.ends_with(&format!(r#"{{"status":"fail","message":"{message}"}}"#)), "{reply}");
    }
    // the server goes on serving
    let live =
        crate::common::blocking(move || crate::common::http(port, "GET", "/health/live", &[], "").unwrap()).await;
    assert_eq!(live.status, 200);
    app.handle.stop(true).await;
}
