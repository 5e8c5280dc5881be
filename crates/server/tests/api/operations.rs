//! Operations over real TCP: health, metrics, request ids, CORS, graceful shutdown.

use serde_json::{Value, json};

/// The in-process application and the URLs it serves.
struct Running {
    base: String,
    metrics_base: Option<String>,
    handle: actix_web::dev::ServerHandle,
    _app: crate::common::Running,
}

async fn start(extra: &[(&str, &str)]) -> Running {
    let app = crate::common::Running::start(extra).await;
    let metrics_base = app.metrics_port.map(|p| format!("http://127.0.0.1:{p}"));
    Running { base: app.base(), metrics_base, handle: app.handle.clone(), _app: app }
}

async fn get_text(url: &str, headers: &[(&str, &str)]) -> (u16, awc::http::header::HeaderMap, String) {
    let mut request = awc::Client::default().get(url);
    for (name, value) in headers {
        request = request.insert_header((*name, *value));
    }
    let mut response = request.send().await.unwrap();
    let body = response.body().await.unwrap();
    (response.status().as_u16(), response.headers().clone(), String::from_utf8_lossy(&body).into_owned())
}

async fn post_json(url: &str, body: Value) -> (u16, Value) {
    let mut response = awc::Client::default().post(url).send_json(&body).await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[actix_web::test]
async fn health_endpoints_answer_json() {
    let server = start(&[]).await;
    let (status, headers, body) = get_text(&format!("{}/health/live", server.base), &[]).await;
    assert_eq!((status, body.as_str()), (200, r#"{"status":"success","message":"alive"}"#));
    assert_eq!(headers.get("content-type").unwrap(), "application/json");
    let (status, _, body) = get_text(&format!("{}/health/ready", server.base), &[]).await;
    assert_eq!((status, body.as_str()), (200, r#"{"status":"success","message":"ready"}"#));
    server.handle.stop(true).await;
}

#[actix_web::test]
async fn metrics_count_requests_and_use_cases() {
    let server = start(&[("APP__SESSIONS__REFRESH_REUSE_GRACE_SECS", "0")]).await;
    let credentials = json!({"email": "joe@gmail.com", "password": "123456"});
    assert_eq!(post_json(&format!("{}/auth/register", server.base), credentials.clone()).await.0, 201);
    assert_eq!(
        post_json(&format!("{}/auth/login", server.base), json!({"email": "joe@gmail.com", "password": "nope!!"}))
            .await
            .0,
        404
    );
    let (_, token) = post_json(&format!("{}/auth/login", server.base), credentials).await;
    let bearer = format!("Bearer {}", token["auth_token"].as_str().unwrap());
    assert_eq!(get_text(&format!("{}/auth/status", server.base), &[("Authorization", &bearer)]).await.0, 200);
    // a refresh, then the consumed token again after no grace: reuse
    let refresh = json!({"refresh_token": token["refresh_token"]});
    assert_eq!(post_json(&format!("{}/auth/refresh", server.base), refresh.clone()).await.0, 200);
    let (status, _) = post_json(&format!("{}/auth/refresh", server.base), refresh).await;
    assert_eq!(status, 401);

    let (status, headers, text) = get_text(&format!("{}/metrics", server.base), &[]).await;
    assert_eq!(status, 200);
    assert!(headers.get("content-type").unwrap().to_str().unwrap().starts_with("text/plain"), "{headers:?}");
    for expected in [
        r#"http_requests_total{method="POST",route="/auth/register",status="201"}"#,
        r#"http_requests_total{method="GET",route="/auth/status",status="200"}"#,
        "http_request_duration_seconds_bucket{",
        r#"auth_registrations_total{outcome="created"}"#,
        r#"auth_logins_total{outcome="wrong_credentials"}"#,
        r#"auth_logins_total{outcome="success"}"#,
        r#"auth_token_checks_total{outcome="valid"}"#,
        "auth_hash_queue_wait_seconds_bucket",
        "db_pool_checkout_wait_seconds_bucket",
        "db_pool_connections ",
        "db_pool_idle_connections ",
        "db_pool_in_use_connections ",
        "auth_revocations_pruned_total",
        "auth_sessions_pruned_total",
        "auth_sessions_started_total ",
        r#"auth_refreshes_total{outcome="refreshed"}"#,
        r#"auth_refreshes_total{outcome="rejected"}"#,
        // (other tests in this process count too: the recorder is the process's)
        "auth_refresh_reuse_detected_total ",
        r#"auth_sessions_ended_total{reason="reuse"} "#,
        "# HELP auth_logins_total Logins, by outcome",
    ] {
        assert!(text.contains(expected), "{expected} missing from\n{text}");
    }
    server.handle.stop(true).await;
}

#[actix_web::test]
async fn metrics_can_have_their_own_address_or_be_off() {
    let separate = start(&[("APP__METRICS__BIND", "127.0.0.1:0")]).await;
    let metrics_base = separate.metrics_base.clone().unwrap();
    assert_eq!(get_text(&format!("{}/metrics", separate.base), &[]).await.0, 404);
    let (status, _, text) = get_text(&format!("{metrics_base}/metrics"), &[]).await;
    assert_eq!(status, 200);
    assert!(text.contains("db_pool_connections"), "{text}");
    separate.handle.stop(true).await;

    let off = start(&[("APP__METRICS__ENABLED", "false")]).await;
    assert!(off.metrics_base.is_none());
    let (status, _, body) = get_text(&format!("{}/metrics", off.base), &[]).await;
    assert_eq!((status, body.as_str()), (404, r#"{"status":"fail","message":"Not found."}"#));
    off.handle.stop(true).await;
}

#[actix_web::test]
async fn every_response_carries_a_request_id() {
    let server = start(&[]).await;
    let url = format!("{}/auth/status", server.base);
    let (_, headers, _) = get_text(&url, &[]).await;
    let generated = headers.get("x-request-id").unwrap().to_str().unwrap().to_owned();
    assert_eq!(generated.len(), 36, "a UUID: {generated}");
    let (_, headers, _) = get_text(&url, &[("X-Request-Id", "client-abc.123_x")]).await;
    assert_eq!(headers.get("x-request-id").unwrap(), "client-abc.123_x");
    for hostile in ["has spaces in it", "x".repeat(65).as_str(), "semi;colon"] {
        let (_, headers, _) = get_text(&url, &[("X-Request-Id", hostile)]).await;
        let id = headers.get("x-request-id").unwrap().to_str().unwrap();
        assert!(id != hostile && id.len() == 36, "{id}");
    }
    server.handle.stop(true).await;
}

async fn preflight(base: &str, origin: &str) -> (u16, awc::http::header::HeaderMap) {
    let response = awc::Client::default()
        .request(awc::http::Method::OPTIONS, format!("{base}/auth/login"))
        .insert_header(("Origin", origin))
        .insert_header(("Access-Control-Request-Method", "POST"))
        .insert_header(("Access-Control-Request-Headers", "content-type,authorization"))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.headers().clone())
}

#[actix_web::test]
async fn cors_allows_only_the_configured_origins() {
    let server = start(&[("APP__CORS__ALLOWED_ORIGINS", "https://app.example.com, http://localhost:3000")]).await;
    let (status, headers) = preflight(&server.base, "https://app.example.com").await;
    assert_eq!(status, 200);
    assert_eq!(headers.get("access-control-allow-origin").unwrap(), "https://app.example.com");
    let allowed_headers = headers.get("access-control-allow-headers").unwrap().to_str().unwrap().to_ascii_lowercase();
    assert!(allowed_headers.contains("authorization") && allowed_headers.contains("content-type"), "{allowed_headers}");

    let (_, headers, _) =
        get_text(&format!("{}/health/live", server.base), &[("Origin", "http://localhost:3000")]).await;
    assert_eq!(headers.get("access-control-allow-origin").unwrap(), "http://localhost:3000");

    // A page from another origin gets no CORS headers, so the browser refuses it the response.
    let (status, headers) = preflight(&server.base, "https://evil.example.net").await;
    assert!(headers.get("access-control-allow-origin").is_none(), "{status} {headers:?}");
    let (status, headers, body) =
        get_text(&format!("{}/health/live", server.base), &[("Origin", "https://evil.example.net")]).await;
    assert!(headers.get("access-control-allow-origin").is_none());
    assert_eq!(headers.get("content-type").unwrap(), "application/json", "{status} {body}");
    assert!(serde_json::from_str::<Value>(&body).is_ok(), "{status} {body}");
    server.handle.stop(true).await;
}
