//! Thousands of random and mutated requests to every endpoint: none may get a 5xx or a non-JSON answer.
//! Inputs come from proptest strategies on a deterministic runner, so a failure reproduces.

use crate::helpers::TestApp;
use actix_web::http::header::HeaderValue;
use actix_web::test::TestRequest;
use auth_testkit::{Backend, on_both_backends};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

const VALID_BODY: &str = r#"{"email":"joe@gmail.com","password":"123456"}"#;

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,40}".prop_map(Value::String),
        "[a-z]{1,8}@[a-z]{1,8}\\.[a-z]{2,3}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::vec(
                (prop_oneof![Just("email".to_owned()), Just("password".to_owned()), "[a-z]{1,6}"], inner),
                0..4
            )
            .prop_map(|fields| serde_json::Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// A valid body with a few bytes replaced, inserted or removed.
fn mutated_body() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6).prop_map(|edits| {
        let mut body = VALID_BODY.as_bytes().to_vec();
        for (at, byte, kind) in edits {
            let i = at.index(body.len().max(1));
            match kind {
                0 if i < body.len() => body[i] = byte,
                1 => body.insert(i.min(body.len()), byte),
                _ if i < body.len() => {
                    body.remove(i);
                }
                _ => {}
            }
        }
        body
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => Just(VALID_BODY.as_bytes().to_vec()),
        3 => mutated_body(),
        2 => json_value().prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..200),
        1 => Just(Vec::new()),
    ]
}

fn content_type() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![3 => Just(Some(b"application/json".to_vec())), 2 => header_text()]
}

fn authorization(token: String) -> impl Strategy<Value = Option<Vec<u8>>> {
    let bearer = format!("Bearer {token}").into_bytes();
    prop_oneof![1 => Just(Some(bearer)), 3 => header_text()]
}

fn header_text() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        Just(None),
        "[ -~]{0,60}".prop_map(|s| Some(s.into_bytes())),
        prop::collection::vec(any::<u8>(), 0..60).prop_map(Some),
        "(Bearer|bearer|Basic|) ?[A-Za-z0-9._-]{0,120}".prop_map(|s| Some(s.into_bytes())),
    ]
}

#[derive(Debug)]
struct Case {
    method: &'static str,
    path: String,
    content_type: Option<Vec<u8>>,
    authorization: Option<Vec<u8>>,
    body: Vec<u8>,
}

/// Every JSON endpoint of the API (`auth_api::routes`, so a new one is fuzzed too), with a session id
/// where the path takes one; `/metrics` answers text.
fn json_endpoints() -> Vec<(&'static str, String)> {
    auth_api::routes()
        .into_iter()
        // the feed's stream never ends (tests/api/feed.rs reads it)
        .filter(|(path, _)| *path != "/metrics" && *path != "/auth/revocations/stream")
        .map(|(path, method)| {
            let method = match method.as_str() {
                "GET" => "GET",
                "POST" => "POST",
                "DELETE" => "DELETE",
                other => panic!("a route with method {other}: add it here"),
            };
            (method, path.replace("{id}", "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"))
        })
        .collect()
}

fn case(token: String) -> impl Strategy<Value = Case> {
    let any_method = || prop_oneof![Just("GET"), Just("POST"), Just("PUT"), Just("DELETE"), Just("PATCH")];
    let endpoints = json_endpoints();
    let known_path = prop::sample::select(endpoints.iter().map(|(_, path)| path.clone()).collect::<Vec<_>>());
    // the seed's four kept as likely as before (a body that registers is rare enough), every other
    // endpoint beside them
    let endpoint = prop_oneof![
        2 => (any_method(), known_path),
        2 => prop::sample::select(endpoints),
        1 => Just(("POST", "/auth/register".to_owned())),
        1 => Just(("POST", "/auth/login".to_owned())),
        1 => Just(("GET", "/auth/status".to_owned())),
        1 => Just(("POST", "/auth/logout".to_owned())),
        2 => (any_method(), "/auth/[a-z%0-9]{0,12}"),
    ];
    (endpoint, content_type(), authorization(token), body()).prop_map(
        |((method, path), content_type, authorization, body)| Case { method, path, content_type, authorization, body },
    )
}

async fn random_and_mutated_requests_never_get_a_5xx_or_non_json(backend: Backend) {
    // email on (written to the log), so that the email endpoints answer as configured ones do: without
    // it they answer 503 "Email is not configured." by design
    let app = TestApp::with_clock(
        backend,
        &[("APP__EMAIL__TRANSPORT", "log")],
        std::sync::Arc::new(auth_domain::SystemClock),
    );
    let token = app.registered_user().await;
    let mut runner = TestRunner::deterministic();
    let strategy = case(token);
    let mut statuses = std::collections::BTreeMap::new();
    for _ in 0..3000 {
        let case = strategy.new_tree(&mut runner).unwrap().current();
        let mut request = TestRequest::default().method(case.method.parse().unwrap()).uri(&case.path);
        if let Some(value) = case.content_type.as_deref().and_then(|v| HeaderValue::from_bytes(v).ok()) {
            request = request.insert_header(("Content-Type", value));
        }
        if let Some(value) = case.authorization.as_deref().and_then(|v| HeaderValue::from_bytes(v).ok()) {
            request = request.insert_header(("Authorization", value));
        }
        // the pages links in emails open answer HTML (and change nothing)
        let page_path = case.path.split('?').next().unwrap_or_default();
        if case.method == "GET" && ["/auth/verify", "/auth/reset", "/auth/email/confirm"].contains(&page_path) {
            let (status, html) = app.raw(request.set_payload(case.body.clone())).await;
            assert!(matches!(status, 200 | 400) && html.starts_with("<!doctype html>"), "{case:?} -> {status}");
            *statuses.entry(status).or_insert(0) += 1;
            continue;
        }
        // `call` fails the test on a body that is not JSON
        let reply = app.call(request.set_payload(case.body.clone())).await;
        assert!(reply.status.as_u16() < 500, "{case:?} -> {reply:?}");
        assert_eq!(reply.content_type, "application/json", "{case:?} -> {reply:?}");
        // every answer is the seed's shape, but the JWKS's key set (RFC 7517)
        let status = reply.body["status"].as_str().unwrap_or_default();
        let key_set =
            case.path == "/.well-known/jwks.json" && reply.status.as_u16() == 200 && reply.body["keys"].is_array();
        // and the revocation feed's page
        let feed_page = case.path.starts_with("/auth/revocations")
            && reply.status.as_u16() == 200
            && reply.body["entries"].is_array();
        assert!(status == "success" || status == "fail" || key_set || feed_page, "{case:?} -> {reply:?}");
        *statuses.entry(reply.status.as_u16()).or_insert(0) += 1;
    }
    // the inputs reached every kind of answer, not just one rejection
    for expected in [200, 201, 202, 400, 401, 403, 404, 405, 415] {
        assert!(statuses.contains_key(&expected), "no {expected} among {statuses:?}");
    }
}

on_both_backends!(async random_and_mutated_requests_never_get_a_5xx_or_non_json);
