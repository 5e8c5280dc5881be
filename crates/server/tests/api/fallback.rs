use crate::helpers::{EMAIL, PASSWORD, TestApp, test_settings_with};
use actix_web::test::TestRequest;
use auth_persistence::{DieselStore, PoolSettings};
use auth_testkit::{Backend, TestDatabase, on_both_backends};
use std::sync::Arc;

async fn an_unknown_path_is_a_json_404(backend: Backend) {
    let app = TestApp::new(backend);
    for path in ["/", "/auth", "/auth/", "/auth/register/", "/auth/nope", "/status"] {
        app.call(TestRequest::get().uri(path)).await.assert_fail(404, "Not found.");
    }
}

/// Every route of the API (`auth_api::routes`, so a new one is covered too) with every other method.
async fn a_wrong_method_is_a_json_405(backend: Backend) {
    let app = TestApp::new(backend);
    let routes = auth_api::routes();
    for (path, _) in &routes {
        // a path may have two methods (a page and its form's endpoint): Allow names both, in order
        let allowed: Vec<&str> = routes.iter().filter(|(p, _)| p == path).map(|(_, m)| m.as_str()).collect();
        let path = path.replace("{id}", "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f");
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH"].into_iter().filter(|m| !allowed.contains(m)) {
            let request = TestRequest::default().method(method.parse().unwrap()).uri(&path);
            let reply = app.call(request).await;
            reply.assert_fail(405, "Method not allowed.");
            assert_eq!(reply.headers.get("allow").unwrap(), allowed.join(", ").as_str(), "{method} {path}");
        }
    }
}

on_both_backends!(async an_unknown_path_is_a_json_404, a_wrong_method_is_a_json_405);

/// A service whose PostgreSQL cannot be reached: port 1 on loopback refuses every connection.
fn unreachable_database_app() -> TestApp {
    let settings = test_settings_with(&[
        ("APP__DATABASE__URL", "postgres://auth@127.0.0.1:1/auth"),
        ("APP__DATABASE__POOL_MAX_SIZE", "2"),
        ("APP__DATABASE__ACQUIRE_TIMEOUT_MS", "300"),
    ]);
    let store = Arc::new(DieselStore::open(&PoolSettings::try_from(&settings.database).unwrap()).unwrap());
    TestApp::over_store(TestDatabase::sqlite(), settings, store)
}

#[actix_web::test]
async fn an_unreachable_database_is_a_quick_503_on_every_endpoint() {
    let app = unreachable_database_app();
    // shaped like the service's tokens (EdDSA, a kid): with no key readable, it cannot be told apart
    let claims = serde_json::json!({"sub": "1", "iat": 0, "exp": 4_000_000_000_i64, "jti": "x", "iss": "auth-service"});
    let header =
        jsonwebtoken::Header { kid: Some("a-kid".into()), ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA) };
    let token = jsonwebtoken::encode(&header, &claims, &crate::helpers::foreign_eddsa_key(1)).unwrap();
    let message = "Service temporarily unavailable. Please try again.";
    let register = app.register(EMAIL, PASSWORD).await;
    register.assert_fail(503, message);
    assert_eq!(register.headers.get("retry-after").unwrap(), "1");
    app.login(EMAIL, PASSWORD).await.assert_fail(503, message);
    app.status(&token).await.assert_fail(503, message);
    app.call(TestRequest::get().uri("/.well-known/jwks.json")).await.assert_fail(503, message);
    app.logout(&token).await.assert_fail(503, message);
    // readiness says so; liveness does not depend on the database
    app.call(TestRequest::get().uri("/health/ready")).await.assert_fail(503, "Not ready: the database is unreachable.");
    app.call(TestRequest::get().uri("/health/live"))
        .await
        .assert(200, serde_json::json!({"status": "success", "message": "alive"}));
    // input errors are still reported as such: they never reach the database
    app.register("joe", PASSWORD).await.assert_fail(400, "Invalid email address.");
    app.status("garbage").await.assert_fail(401, "Invalid token. Please log in again.");
}
