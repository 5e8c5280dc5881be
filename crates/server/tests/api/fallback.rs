use crate::helpers::{EMAIL, PASSWORD, TestApp, test_settings};
use actix_web::test::TestRequest;
use auth_domain::{AuthService, PasswordHasher, PasswordPolicy, SystemClock, TokenCodec};
use auth_persistence::{DatabaseUrl, DieselStore, PoolSettings, build_pool};
use auth_testkit::{Backend, TestDatabase, on_both_backends};
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn an_unknown_path_is_a_json_404(backend: Backend) {
    let app = TestApp::new(backend);
    for path in ["/", "/auth", "/auth/", "/auth/register/", "/auth/nope", "/status"] {
        app.call(TestRequest::get().uri(path)).await.assert_fail(404, "Not found.");
    }
}

async fn a_wrong_method_is_a_json_405(backend: Backend) {
    let app = TestApp::new(backend);
    for (method, path) in [
        ("GET", "/auth/register"),
        ("GET", "/auth/login"),
        ("POST", "/auth/status"),
        ("GET", "/auth/logout"),
        ("DELETE", "/auth/status"),
        ("PUT", "/auth/login"),
    ] {
        let request = TestRequest::default().method(method.parse().unwrap()).uri(path);
        app.call(request).await.assert_fail(405, "Method not allowed.");
    }
}

on_both_backends!(async an_unknown_path_is_a_json_404, a_wrong_method_is_a_json_405);

/// A service whose PostgreSQL cannot be reached: port 1 on loopback refuses every connection.
fn unreachable_database_app() -> TestApp {
    let db = TestDatabase::sqlite();
    let settings = test_settings("postgres://auth@127.0.0.1:1/auth");
    let pool = build_pool(&PoolSettings {
        url: DatabaseUrl::parse("postgres://auth@127.0.0.1:1/auth").unwrap(),
        max_size: 2,
        acquire_timeout: Duration::from_millis(300),
        sqlite_busy_timeout_ms: 1000,
        statement_timeout_ms: 1000,
    })
    .unwrap();
    let store = Arc::new(DieselStore::new(pool));
    let store_for_probe = store.clone();
    let tokens = TokenCodec::new(&auth_domain::TokenSettings {
        secret: "test-only-secret-test-only-secret-0123456789".to_owned().into(),
        issuer: "auth-service".into(),
        access_ttl_secs: 3600,
        leeway_secs: 0,
    })
    .unwrap();
    let service = AuthService::new(
        store.clone(),
        store,
        PasswordHasher::new(4).unwrap(),
        tokens,
        PasswordPolicy::default(),
        Arc::new(SystemClock),
    );
    TestApp::with_service(db, settings, service, store_for_probe)
}

#[actix_web::test]
async fn an_unreachable_database_is_a_quick_503_on_every_endpoint() {
    let app = unreachable_database_app();
    let token = app.token_issued_at(1, chrono::Utc::now());
    let started = Instant::now();
    let message = "Service temporarily unavailable. Please try again.";
    let register = app.register(EMAIL, PASSWORD).await;
    register.assert_fail(503, message);
    assert_eq!(register.headers.get("retry-after").unwrap(), "1");
    app.login(EMAIL, PASSWORD).await.assert_fail(503, message);
    app.status(&token).await.assert_fail(503, message);
    app.logout(&token).await.assert_fail(503, message);
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    // readiness says so; liveness does not depend on the database
    app.call(TestRequest::get().uri("/health/ready")).await.assert_fail(503, "Not ready: the database is unreachable.");
    app.call(TestRequest::get().uri("/health/live"))
        .await
        .assert(200, serde_json::json!({"status": "success", "message": "alive"}));
    // input errors are still reported as such: they never reach the database
    app.register("joe", PASSWORD).await.assert_fail(400, "Invalid email address.");
    app.status("garbage").await.assert_fail(401, "Invalid token. Please log in again.");
}
