use crate::helpers::{EMAIL, PASSWORD, TestApp};
use auth_testkit::{Backend, on_both_backends};
use chrono::Utc;

async fn registers_a_new_user(backend: Backend) {
    let app = TestApp::new(backend);
    let before = Utc::now().naive_utc() - chrono::TimeDelta::seconds(1);
    let token = app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");

    let users = app.db.users();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].email, EMAIL);
    assert!(users[0].password.starts_with("$2b$04$"), "stored {:?}", users[0].password);
    assert!(!users[0].password.contains(PASSWORD));
    assert!(!users[0].admin);
    assert!(users[0].registered_on >= before && users[0].registered_on <= Utc::now().naive_utc());
    // the token is a working login for the new user
    let status = app.status(&token).await;
    assert_eq!(status.status, 200, "{status:?}");
    assert_eq!(status.body["data"]["user_id"], users[0].id);
}

async fn registering_twice_is_202(backend: Backend) {
    let app = TestApp::new(backend);
    app.registered_user().await;
    app.register(EMAIL, "another-password").await.assert_fail(202, "User already exists. Please Log in.");
    assert_eq!(app.db.users().len(), 1);
}

async fn registering_in_another_letter_case_is_202(backend: Backend) {
    let app = TestApp::new(backend);
    app.registered_user().await;
    app.register("  JOE@Gmail.COM ", PASSWORD).await.assert_fail(202, "User already exists. Please Log in.");
    assert_eq!(app.db.users().len(), 1);
}

async fn emails_are_stored_trimmed_and_lower_case(backend: Backend) {
    let app = TestApp::new(backend);
    app.register("  Ann.Lee@Example.ORG\t", PASSWORD).await.token(201, "Successfully registered.");
    assert_eq!(app.db.users()[0].email, "ann.lee@example.org");
}

async fn invalid_emails_are_400(backend: Backend) {
    let app = TestApp::new(backend);
    for email in ["joe", "joe@", "@gmail.com", "joe@gmail", "joe@@gmail.com", "jo e@gmail.com"] {
        app.register(email, PASSWORD).await.assert_fail(400, "Invalid email address.");
    }
    app.register("", PASSWORD).await.assert_fail(400, "Email must not be empty.");
    let long = format!("{}@{}.com", "a".repeat(64), "b".repeat(190));
    app.register(&long, PASSWORD).await.assert_fail(400, "Email must be at most 254 characters.");
    assert!(app.db.users().is_empty());
}

async fn passwords_must_meet_the_policy(backend: Backend) {
    let app = TestApp::new(backend);
    app.register(EMAIL, "12345").await.assert_fail(400, "Password must be at least 6 characters.");
    app.register(EMAIL, &"p".repeat(73)).await.assert_fail(400, "Password must be at most 72 bytes.");
    assert!(app.db.users().is_empty());
    app.register(EMAIL, &"p".repeat(72)).await.token(201, "Successfully registered.");
    app.login(EMAIL, &"p".repeat(72)).await.token(200, "Successfully logged in.");
    assert_eq!(app.db.users().len(), 1);
}

on_both_backends!(async
    registers_a_new_user,
    registering_twice_is_202,
    registering_in_another_letter_case_is_202,
    emails_are_stored_trimmed_and_lower_case,
    invalid_emails_are_400,
    passwords_must_meet_the_policy,
);
