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
    app.register(EMAIL, &"p".repeat(129)).await.assert_fail(400, "Password must be at most 128 characters.");
    assert!(app.db.users().is_empty());
    // 128 characters of four bytes each: past bcrypt's 72 bytes, and every one of them counts
    let long = "\u{1F511}".repeat(128);
    app.register(EMAIL, &long).await.token(201, "Successfully registered.");
    app.login(EMAIL, &long).await.token(200, "Successfully logged in.");
    app.login(EMAIL, &format!("{}x", "\u{1F511}".repeat(127))).await.assert_fail(404, "User does not exist.");
    assert_eq!(app.db.users().len(), 1);
}

async fn look_alikes_of_an_existing_email_are_400(backend: Backend) {
    let app = TestApp::new(backend);
    app.register("victim@example.com", PASSWORD).await.token(201, "Successfully registered.");
    for email in [
        "vic\u{200B}tim@example.com",
        "vic\u{200D}tim@example.com",
        "\u{FEFF}victim@example.com",
        "vic\u{AD}tim@example.com",
        "\u{202E}victim@example.com",
        "v\u{456}ctim@example.com",
        "\u{FF56}ictim@example.com",
        "vi\u{307}ctim@example.com",
    ] {
        app.register(email, PASSWORD).await.assert_fail(400, "Invalid email address.");
    }
    let users = app.db.users();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].email, "victim@example.com");
}

async fn one_email_in_nfc_and_nfd_is_one_account(backend: Backend) {
    let app = TestApp::new(backend);
    app.register("jos\u{e9}@example.com", PASSWORD).await.token(201, "Successfully registered.");
    app.register("jose\u{301}@example.com", PASSWORD).await.assert_fail(202, "User already exists. Please Log in.");
    app.login("jose\u{301}@example.com", PASSWORD).await.token(200, "Successfully logged in.");
    assert_eq!(app.db.users().len(), 1);
    assert_eq!(app.db.users()[0].email, "jos\u{e9}@example.com");
}

async fn a_password_typed_in_nfd_logs_in_as_nfc(backend: Backend) {
    let app = TestApp::new(backend);
    app.register(EMAIL, "caf\u{e9}-cr\u{e8}me").await.token(201, "Successfully registered.");
    app.login(EMAIL, "cafe\u{301}-cre\u{300}me").await.token(200, "Successfully logged in.");
    app.login(EMAIL, "caf\u{e9}-cr\u{e8}me").await.token(200, "Successfully logged in.");
    app.login(EMAIL, "cafe-creme").await.assert_fail(404, "User does not exist.");
}

on_both_backends!(async
    look_alikes_of_an_existing_email_are_400,
    one_email_in_nfc_and_nfd_is_one_account,
    a_password_typed_in_nfd_logs_in_as_nfc,
    registers_a_new_user,
    registering_twice_is_202,
    registering_in_another_letter_case_is_202,
    emails_are_stored_trimmed_and_lower_case,
    invalid_emails_are_400,
    passwords_must_meet_the_policy,
);
