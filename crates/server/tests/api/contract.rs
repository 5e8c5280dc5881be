//! One token contract: the same hostile tokens and `Authorization` headers, sent to the service's own
//! authentication (`GET /auth/status`) and to a downstream service verifying with `auth-verify`, get the
//! same status, message and challenge. (Revocation is left out: a local verifier cannot see it.)

use crate::helpers::{EMAIL, PASSWORD, TestApp, claims_of};
use crate::hostile::signed_by_the_service;
use actix_web::test::{TestRequest, call_service, init_service, read_body};
use actix_web::{App, HttpResponse, web};
use auth_testkit::Backend;
use auth_verify::actix::Authenticated;
use auth_verify::{FetchError, Fetched, JwksSource, Verifier, VerifierConfig};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use std::sync::Arc;

/// The service's JWKS, as its endpoint serves it, without HTTP.
struct ServiceKeys(Arc<auth_domain::AuthService>);

impl JwksSource for ServiceKeys {
    fn fetch(&self) -> Result<Fetched, FetchError> {
        let published = self.0.published_keys().map_err(|e| FetchError::Http(e.to_string()))?;
        let set = auth_token::jwks::ed25519_set(published.keys.iter().map(|(kid, x)| (kid.as_str(), x.as_str())));
        Fetched::from_jwks(&serde_json::to_string(&set).unwrap(), None)
    }
}

async fn hello(user: Authenticated) -> HttpResponse {
    HttpResponse::Ok().json(json!({"user_id": user.claims().user_id}))
}

/// Status, the message of a failure (`None` for a success), and the `WWW-Authenticate` challenge.
type Answer = (u16, Option<String>, Option<String>);

fn answer(status: u16, challenge: Option<String>, body: &[u8]) -> Answer {
    let message = (status != 200).then(|| {
        let body: Value = serde_json::from_slice(body).unwrap();
        body["message"].as_str().unwrap().to_owned()
    });
    (status, message, challenge)
}

fn header(alg: Algorithm, kid: Option<&str>, f: impl FnOnce(&mut Header)) -> Header {
    let mut header = Header { kid: kid.map(str::to_owned), ..Header::new(alg) };
    f(&mut header);
    header
}

fn segment(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

#[actix_web::test]
async fn the_service_and_a_downstream_verifier_answer_every_token_alike() {
    let app = TestApp::new(Backend::Sqlite);
    let token = app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    let user_id = app.db.users()[0].id;
    let kid = jsonwebtoken::decode_header(&token).unwrap().kid.unwrap();
    let claims = claims_of(&token);
    let own = |claims: &Value| signed_by_the_service(&app, claims);
    let with = |key: &str, value: Value| {
        let mut c = claims.clone();
        c[key] = value;
        c
    };
    let without = |key: &str| {
        let mut c = claims.clone();
        c.as_object_mut().unwrap().remove(key);
        c
    };
    let now = Utc::now().timestamp();
    // signs with our own key under our kid, with a header of its choosing
    let keys = app.service().token_codec().key_ring().unwrap().keys();
    let (_, our_key) = keys.signing_key(Utc::now()).unwrap();
    let own_with = |h: Header| jsonwebtoken::encode(&h, &claims, our_key).unwrap();
    let secret = EncodingKey::from_secret(app.settings.tokens.secret.expose_secret().as_bytes()).unwrap();
    let mut foreign_der =
        vec![0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
    foreign_der.extend([9u8; 32]);
    let foreign = EncodingKey::from_ed_der(&foreign_der);

    let tokens: Vec<(&str, String)> = vec![
        ("ours", token.clone()),
        ("signed by the service", own(&claims)),
        ("garbage", "garbage".into()),
        ("alg none", format!("{}.{}.", segment(&json!({"alg": "none", "typ": "JWT"})), segment(&claims))),
        (
            "HS256 with the service's secret",
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &secret).unwrap(),
        ),
        ("EdDSA without a kid", own_with(header(Algorithm::EdDSA, None, |_| {}))),
        (
            "a foreign key under our kid",
            jsonwebtoken::encode(&header(Algorithm::EdDSA, Some(&kid), |_| {}), &claims, &foreign).unwrap(),
        ),
        (
            "a foreign key, a made-up kid",
            jsonwebtoken::encode(&header(Algorithm::EdDSA, Some("made-up"), |_| {}), &claims, &foreign).unwrap(),
        ),
        ("x5t", own_with(header(Algorithm::EdDSA, Some(&kid), |h| h.x5t = Some("abc".into())))),
        ("x5t#S256", own_with(header(Algorithm::EdDSA, Some(&kid), |h| h.x5t_s256 = Some("abc".into())))),
        ("jku", own_with(header(Algorithm::EdDSA, Some(&kid), |h| h.jku = Some("https://evil.example/k".into())))),
        ("crit", own_with(header(Algorithm::EdDSA, Some(&kid), |h| h.crit = Some(vec!["exp".into()])))),
        ("sub +N", own(&with("sub", json!(format!("+{user_id}"))))),
        ("sub 0N", own(&with("sub", json!(format!("0{user_id}"))))),
        ("sub a number", own(&with("sub", json!(user_id)))),
        ("no jti", own(&without("jti"))),
        ("jti upper case", own(&with("jti", json!(claims["jti"].as_str().unwrap().to_uppercase())))),
        ("sid upper case", own(&with("sid", json!(claims["sid"].as_str().unwrap().to_uppercase())))),
        ("another issuer", own(&with("iss", json!("evil")))),
        ("expired", own(&with("exp", json!(now - 10)))),
        ("issued in the future", own(&with("iat", json!(now + 600)))),
        ("over 8 KiB", own(&with("pad", json!("x".repeat(9000))))),
    ];
    let mut headers: Vec<(String, Vec<Vec<u8>>)> =
        tokens.iter().map(|(what, token)| (what.to_string(), vec![format!("Bearer {token}").into_bytes()])).collect();
    for (what, values) in [
        ("none", vec![]),
        ("empty", vec![b"".to_vec()]),
        ("blank", vec![b"   ".to_vec()]),
        ("scheme only", vec![b"Bearer".to_vec()]),
        ("scheme and a space", vec![b"Bearer ".to_vec()]),
        ("lower case scheme", vec![format!("bearer {token}").into_bytes()]),
        ("upper case scheme", vec![format!("BEARER {token}").into_bytes()]),
        ("two spaces", vec![format!("Bearer  {token}").into_bytes()]),
        ("a tab", vec![format!("Bearer\t{token}").into_bytes()]),
        ("Basic", vec![b"Basic dXNlcjpwYXNz".to_vec()]),
        ("two headers", vec![format!("Bearer {token}").into_bytes(), format!("Bearer {token}").into_bytes()]),
        ("not ASCII", vec![[b"Bearer ".as_slice(), &[0xff, 0xfe, 0x80]].concat()]),
    ] {
        headers.push((what.to_owned(), values));
    }

    let verifier = Verifier::with_source(
        VerifierConfig::new("http://in-process", "auth-service"),
        ServiceKeys(app.service_arc()),
        Arc::new(auth_verify::SystemClock),
    );
    let downstream =
        init_service(App::new().app_data(web::Data::new(verifier)).route("/hello", web::get().to(hello))).await;
    let mut compared = 0;
    for (what, values) in headers {
        let mut service_request = TestRequest::get().uri("/auth/status");
        let mut downstream_request = TestRequest::get().uri("/hello");
        for value in &values {
            let value = actix_web::http::header::HeaderValue::from_bytes(value).unwrap();
            service_request = service_request.append_header(("Authorization", value.clone()));
            downstream_request = downstream_request.append_header(("Authorization", value));
        }
        let service = app.call(service_request).await;
        let service = (
            service.status.as_u16(),
            (service.status.as_u16() != 200).then(|| service.body["message"].as_str().unwrap().to_owned()),
            service.headers.get("www-authenticate").map(|v| v.to_str().unwrap().to_owned()),
        );
        let response = call_service(&downstream, downstream_request.to_request()).await;
        let (status, challenge) = (
            response.status().as_u16(),
            response.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned()),
        );
        let downstream = answer(status, challenge, &read_body(response).await);
        assert_eq!(service, downstream, "{what}");
        compared += 1;
    }
    assert_eq!(compared, 34);
}
