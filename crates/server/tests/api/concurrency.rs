use crate::helpers::{EMAIL, PASSWORD, TestApp};
use auth_testkit::{Backend, on_both_backends};
use futures_util::future::join_all;

async fn parallel_registrations_of_one_email_make_one_user(backend: Backend) {
    let app = TestApp::new(backend);
    let replies = join_all((0..20).map(|_| app.register(EMAIL, PASSWORD))).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let existing = replies.iter().filter(|r| r.status == 202).count();
    assert_eq!((created, existing), (1, 19), "{replies:?}");
    for reply in replies.iter().filter(|r| r.status == 202) {
        reply.assert_fail(202, "User already exists. Please Log in.");
    }
    assert_eq!(app.db.users().len(), 1);
}

async fn parallel_logouts_of_one_token_succeed_once(backend: Backend) {
    let app = TestApp::new(backend);
    let token = app.registered_user().await;
    let replies = join_all((0..10).map(|_| app.logout(&token))).await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(ok, 1, "{replies:?}");
    for reply in replies.iter().filter(|r| r.status != 200) {
        reply.assert_fail(401, "Token blacklisted. Please log in again.");
    }
    assert_eq!(app.db.revocations().len(), 1);
}

on_both_backends!(async parallel_registrations_of_one_email_make_one_user, parallel_logouts_of_one_token_succeed_once);
