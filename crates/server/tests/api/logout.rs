use crate::helpers::TestApp;
use auth_testkit::{Backend, on_both_backends};
use chrono::{TimeDelta, Utc};
use serde_json::json;

fn logged_out() -> serde_json::Value {
    json!({"status": "success", "message": "Successfully logged out."})
}

async fn a_valid_logout_revokes_the_token(backend: Backend) {
    let app = TestApp::new(backend);
    let token = app.registered_user().await;
    let before = Utc::now().naive_utc() - TimeDelta::seconds(1);
    app.logout(&token).await.assert(200, logged_out());

    let user = app.db.users().remove(0);
    let rows = app.db.revocations();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].user_id, user.id);
    assert_eq!(rows[0].jti.len(), 36, "jti is a UUID: {}", rows[0].jti);
    assert!(rows[0].revoked_at >= before);
    // expires_at is the token's own expiry: issued now, one hour (test settings) of life
    let ttl = rows[0].expires_at - rows[0].revoked_at;
    assert!((3599..=3601).contains(&ttl.num_seconds()), "{ttl:?}");
}

async fn logging_out_twice_is_blacklisted(backend: Backend) {
    let app = TestApp::new(backend);
    let token = app.registered_user().await;
    app.logout(&token).await.assert(200, logged_out());
    app.logout(&token).await.assert_fail(401, "Token blacklisted. Please log in again.");
    assert_eq!(app.db.revocations().len(), 1);
}

async fn an_expired_token_cannot_log_out(backend: Backend) {
    let app = TestApp::new(backend);
    app.registered_user().await;
    let user_id = app.db.users()[0].id;
    let expired = app.token_issued_at(user_id, Utc::now() - TimeDelta::hours(2));
    app.logout(&expired).await.assert_fail(401, "Signature expired. Please log in again.");
    assert!(app.db.revocations().is_empty());
}

async fn no_or_empty_header_is_403(backend: Backend) {
    let app = TestApp::new(backend);
    app.logout_with_header(None).await.assert_fail(403, "Provide a valid auth token.");
    app.logout_with_header(Some("")).await.assert_fail(403, "Provide a valid auth token.");
    assert!(app.db.revocations().is_empty());
}

async fn a_malformed_header_is_401(backend: Backend) {
    let app = TestApp::new(backend);
    let token = app.registered_user().await;
    for header in
        ["Bearer".to_owned(), format!("Bearer{token}"), format!("Bearer {token} {token}"), format!("Basic {token}")]
    {
        app.logout_with_header(Some(&header)).await.assert_fail(401, "Bearer token malformed.");
    }
    assert!(app.db.revocations().is_empty());
}

async fn an_invalid_token_is_401(backend: Backend) {
    let app = TestApp::new(backend);
    app.registered_user().await;
    let foreign = app.token_signed_with("someone-elses-secret-someone-elses-secret", app.db.users()[0].id);
    for bad in [foreign.as_str(), "garbage", "a.b.c"] {
        app.logout(bad).await.assert_fail(401, "Invalid token. Please log in again.");
    }
    assert!(app.db.revocations().is_empty());
}

async fn a_token_for_a_deleted_user_is_401(backend: Backend) {
    let app = TestApp::new(backend);
    let token = app.registered_user().await;
    app.db.execute("DELETE FROM users");
    app.logout(&token).await.assert_fail(401, "Invalid token. Please log in again.");
    assert!(app.db.revocations().is_empty());
}

on_both_backends!(async
    a_valid_logout_revokes_the_token,
    logging_out_twice_is_blacklisted,
    an_expired_token_cannot_log_out,
    no_or_empty_header_is_403,
    a_malformed_header_is_401,
    an_invalid_token_is_401,
    a_token_for_a_deleted_user_is_401,
);
