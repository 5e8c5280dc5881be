use crate::helpers::{EMAIL, TestApp};
use auth_testkit::{Backend, on_both_backends};
use chrono::{SecondsFormat, TimeDelta, Utc};
use serde_json::json;

async fn returns_the_users_data(backend: Backend) {
    let app = TestApp::new(backend);
    let token = app.registered_user().await;
    let user = app.db.users().remove(0);
    let registered_on = user.registered_on.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true);
    app.status(&token).await.assert(
        200,
        json!({"status": "success", "data": {
            "user_id": user.id, "email": EMAIL, "admin": false, "registered_on": registered_on,
            "email_verified": false,
        }}),
    );
    assert!(registered_on.ends_with('Z'), "{registered_on}");
}

async fn reports_the_admin_flag(backend: Backend) {
    let app = TestApp::new(backend);
    let token = app.registered_user().await;
    app.db.execute("UPDATE users SET admin = TRUE");
    assert_eq!(app.status(&token).await.body["data"]["admin"], true);
}

async fn no_or_empty_header_is_401(backend: Backend) {
    let app = TestApp::new(backend);
    app.status_with_header(None).await.assert_fail(401, "Provide a valid auth token.");
    app.status_with_header(Some("")).await.assert_fail(401, "Provide a valid auth token.");
    let reply = app.status_with_header(None).await;
    assert_eq!(reply.headers.get("www-authenticate").unwrap(), "Bearer");
}

async fn a_malformed_header_is_401(backend: Backend) {
    let app = TestApp::new(backend);
    let token = app.registered_user().await;
    for header in [
        "Bearer".to_owned(),
        format!("Bearer{token}"),
        format!("Bearer {token} extra"),
        format!("Basic {token}"),
        format!("Token {token}"),
        token.clone(),
    ] {
        app.status_with_header(Some(&header)).await.assert_fail(401, "Bearer token malformed.");
    }
    // the scheme word is case-insensitive
    assert_eq!(app.status_with_header(Some(&format!("bearer {token}"))).await.status, 200);
    assert_eq!(app.status_with_header(Some(&format!("BEARER {token}"))).await.status, 200);
}

async fn an_expired_token_is_401(backend: Backend) {
    let app = TestApp::new(backend);
    app.registered_user().await;
    let user_id = app.db.users()[0].id;
    let expired = app.token_issued_at(user_id, Utc::now() - TimeDelta::seconds(3601));
    app.status(&expired).await.assert_fail(401, "Signature expired. Please log in again.");
}

async fn an_invalid_token_is_401(backend: Backend) {
    let app = TestApp::new(backend);
    app.registered_user().await;
    let user_id = app.db.users()[0].id;
    let foreign = app.token_signed_with("someone-elses-secret-someone-elses-secret", user_id);
    let token = app.token_issued_at(user_id, Utc::now());
    let tampered = format!("{}x", &token[..token.len() - 1]);
    for bad in [foreign.as_str(), tampered.as_str(), "garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30."] {
        app.status(bad).await.assert_fail(401, "Invalid token. Please log in again.");
    }
}

async fn a_token_for_a_deleted_user_is_401(backend: Backend) {
    let app = TestApp::new(backend);
    let token = app.registered_user().await;
    app.db.execute("DELETE FROM users");
    app.status(&token).await.assert_fail(401, "Invalid token. Please log in again.");
}

async fn a_revoked_token_is_401(backend: Backend) {
    let app = TestApp::new(backend);
    let token = app.registered_user().await;
    app.logout(&token).await.assert(200, json!({"status": "success", "message": "Successfully logged out."}));
    app.status(&token).await.assert_fail(401, "Token blacklisted. Please log in again.");
    // another token of the same user still works
    let other = app.login(EMAIL, crate::helpers::PASSWORD).await.token(200, "Successfully logged in.");
    assert_eq!(app.status(&other).await.status, 200);
}

on_both_backends!(async
    returns_the_users_data,
    reports_the_admin_flag,
    no_or_empty_header_is_401,
    a_malformed_header_is_401,
    an_expired_token_is_401,
    an_invalid_token_is_401,
    a_token_for_a_deleted_user_is_401,
    a_revoked_token_is_401,
);
