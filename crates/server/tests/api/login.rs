use crate::helpers::{EMAIL, PASSWORD, TestApp};
use auth_testkit::{Backend, on_both_backends};

async fn a_registered_user_logs_in(backend: Backend) {
    let app = TestApp::new(backend);
    let registration_token = app.registered_user().await;
    let token = app.login(EMAIL, PASSWORD).await.token(200, "Successfully logged in.");
    assert_ne!(token, registration_token);
    let status = app.status(&token).await;
    assert_eq!(status.status, 200, "{status:?}");
    assert_eq!(status.body["data"]["email"], EMAIL);
    assert_eq!(app.db.users().len(), 1);
    assert!(app.db.revocations().is_empty());
}

/// A stored hash naming a cost the service does not run (a hand-edited row: `$31$` would pin a core for
/// hours) is refused without being computed: the right password gets the usual 404, at once.
async fn a_stored_hash_of_an_absurd_cost_is_refused_not_computed(backend: Backend) {
    let app = TestApp::new(backend);
    app.registered_user().await;
    let hash = app.db.users()[0].password.clone();
    let absurd = format!("$2b$31${}", &hash[7..]);
    app.db.execute(&format!("UPDATE users SET password = '{absurd}'"));
    let verified = app.service().password_verifications();
    app.login(EMAIL, PASSWORD).await.assert_fail(404, "User does not exist.");
    assert_eq!(app.service().password_verifications() - verified, 1, "the dummy hash, at the configured cost");
    assert!(app.db.sessions().iter().all(|s| s.user_id == app.db.users()[0].id) && app.db.sessions().len() == 1);
}

async fn an_unknown_user_gets_404(backend: Backend) {
    let app = TestApp::new(backend);
    app.login(EMAIL, PASSWORD).await.assert_fail(404, "User does not exist.");
    assert!(app.db.users().is_empty());
}

async fn a_wrong_password_gets_the_same_404(backend: Backend) {
    let app = TestApp::new(backend);
    app.registered_user().await;
    app.login(EMAIL, "1234567").await.assert_fail(404, "User does not exist.");
    app.login(EMAIL, "").await.assert_fail(404, "User does not exist.");
    app.login(EMAIL, &format!("{PASSWORD}{}", "x".repeat(80))).await.assert_fail(404, "User does not exist.");
}

async fn login_ignores_letter_case_and_spaces_in_the_email(backend: Backend) {
    let app = TestApp::new(backend);
    app.registered_user().await;
    app.login(" Joe@GMAIL.com ", PASSWORD).await.token(200, "Successfully logged in.");
}

async fn a_malformed_email_gets_404(backend: Backend) {
    let app = TestApp::new(backend);
    app.registered_user().await;
    app.login("not-an-email", PASSWORD).await.assert_fail(404, "User does not exist.");
}

on_both_backends!(async
    a_stored_hash_of_an_absurd_cost_is_refused_not_computed,
    a_registered_user_logs_in,
    an_unknown_user_gets_404,
    a_wrong_password_gets_the_same_404,
    login_ignores_letter_case_and_spaces_in_the_email,
    a_malformed_email_gets_404,
);
