use crate::helpers::{EMAIL, PASSWORD, TestApp};
use actix_web::test::TestRequest;
use auth_testkit::{Backend, on_both_backends};
use serde_json::json;

const ENDPOINTS: [&str; 2] = ["/auth/register", "/auth/login"];

fn raw(path: &str, content_type: Option<&str>, body: impl Into<actix_web::web::Bytes>) -> TestRequest {
    let request = TestRequest::post().uri(path).set_payload(body.into());
    match content_type {
        Some(ct) => request.insert_header(("Content-Type", ct)),
        None => request,
    }
}

async fn a_body_that_is_not_json_is_400(backend: Backend) {
    let app = TestApp::new(backend);
    for path in ENDPOINTS {
        for body in ["{", "email=joe", "{\"email\": }", "\u{FEFF}{}"] {
            app.call(raw(path, Some("application/json"), body))
                .await
                .assert_fail(400, "Request body is not valid JSON.");
        }
        app.call(raw(path, Some("application/json"), &b"{\"email\":\"\xff\"}"[..]))
            .await
            .assert_fail(400, "Request body is not valid JSON.");
    }
    assert!(app.db.users().is_empty());
}

async fn an_empty_body_is_400(backend: Backend) {
    let app = TestApp::new(backend);
    for path in ENDPOINTS {
        app.call(raw(path, Some("application/json"), ""))
            .await
            .assert_fail(400, "Request body is empty; expected a JSON object.");
    }
    assert!(app.db.users().is_empty());
}

async fn a_body_that_is_not_an_object_is_400(backend: Backend) {
    let app = TestApp::new(backend);
    for path in ENDPOINTS {
        for body in [json!([EMAIL, PASSWORD]), json!("joe"), json!(42), json!(null), json!(true)] {
            app.post_json(path, body).await.assert_fail(400, "Request body must be a JSON object.");
        }
    }
    assert!(app.db.users().is_empty());
}

async fn another_content_type_is_415(backend: Backend) {
    let app = TestApp::new(backend);
    let body = json!({"email": EMAIL, "password": PASSWORD}).to_string();
    for path in ENDPOINTS {
        for content_type in [Some("text/plain"), Some("application/x-www-form-urlencoded"), None] {
            app.call(raw(path, content_type, body.clone()))
                .await
                .assert_fail(415, "Content-Type must be application/json.");
        }
    }
    // a charset parameter is still JSON
    app.call(raw("/auth/register", Some("application/json; charset=utf-8"), body))
        .await
        .token(201, "Successfully registered.");
    assert_eq!(app.db.users().len(), 1);
}

async fn a_body_over_64_kib_is_413(backend: Backend) {
    let app = TestApp::new(backend);
    let padding = "x".repeat(64 * 1024);
    let body = json!({"email": EMAIL, "password": PASSWORD, "padding": padding});
    for path in ENDPOINTS {
        app.post_json(path, body.clone()).await.assert_fail(413, "Request body is too large (at most 65536 bytes).");
    }
    assert!(app.db.users().is_empty());
}

async fn missing_null_or_mistyped_fields_are_400(backend: Backend) {
    let app = TestApp::new(backend);
    for path in ENDPOINTS {
        let cases = [
            (json!({"password": PASSWORD}), "The email field is required."),
            (json!({"email": null, "password": PASSWORD}), "The email field is required."),
            (json!({"email": 7, "password": PASSWORD}), "The email field must be a string."),
            (json!({"email": [EMAIL], "password": PASSWORD}), "The email field must be a string."),
            (json!({"email": EMAIL}), "The password field is required."),
            (json!({"email": EMAIL, "password": null}), "The password field is required."),
            (json!({"email": EMAIL, "password": 123456}), "The password field must be a string."),
            (json!({"email": EMAIL, "password": {"p": 1}}), "The password field must be a string."),
            (json!({}), "The email field is required."),
        ];
        for (body, message) in cases {
            app.post_json(path, body).await.assert_fail(400, message);
        }
    }
    assert!(app.db.users().is_empty());
}

on_both_backends!(async
    a_body_that_is_not_json_is_400,
    an_empty_body_is_400,
    a_body_that_is_not_an_object_is_400,
    another_content_type_is_415,
    a_body_over_64_kib_is_413,
    missing_null_or_mistyped_fields_are_400,
);
