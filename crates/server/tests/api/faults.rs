//! PostgreSQL going away and coming back, through a proxy the test cuts: every endpoint answers 503
//! quickly, the service recovers by itself, and no answered request is lost.

use crate::helpers::{EMAIL, PASSWORD, Reply, TestApp, test_settings_with};
use auth_testkit::{TcpProxy, TestDatabase};
use futures_util::future::join_all;
use std::collections::HashSet;
use std::time::{Duration, Instant};

const UNAVAILABLE: &str = "Service temporarily unavailable. Please try again.";

fn app_behind_proxy() -> (TestApp, TcpProxy) {
    let db = TestDatabase::postgres();
    let proxy = TcpProxy::start(db.postgres_address());
    let url = db.url_via_port(proxy.port());
    let settings = test_settings_with(&[
        ("APP__DATABASE__URL", &url),
        ("APP__DATABASE__ACQUIRE_TIMEOUT_MS", "500"),
        ("APP__ABUSE__REGISTER_PER_IP_PER_HOUR", "0"),
    ]);
    (TestApp::with_settings(db, settings), proxy)
}

/// Polls until `token`'s status succeeds again: the service must heal without a restart.
async fn wait_until_serving(app: &TestApp, token: &str) -> Duration {
    let started = Instant::now();
    loop {
        let reply = app.status(token).await;
        if reply.status == 200 {
            return started.elapsed();
        }
        reply.assert_fail(503, UNAVAILABLE);
        assert!(started.elapsed() < Duration::from_secs(15), "not recovered after 15 s");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn an_outage_gives_quick_503s_and_the_service_recovers_by_itself() {
    let (app, proxy) = app_behind_proxy();
    let token = app.registered_user().await;

    proxy.cut();
    // Each request waits at most acquire_timeout_ms (500) for a connection, then gets its 503: that they
    // answer at all (the test would hang otherwise) is the bound; their order and outcome are checked.
    for _ in 0..3 {
        app.register("ann@gmail.com", PASSWORD).await.assert_fail(503, UNAVAILABLE);
        app.login(EMAIL, PASSWORD).await.assert_fail(503, UNAVAILABLE);
        app.status(&token).await.assert_fail(503, UNAVAILABLE);
        app.logout(&token).await.assert_fail(503, UNAVAILABLE);
    }

    proxy.restore();
    wait_until_serving(&app, &token).await;
    app.register("ann@gmail.com", PASSWORD).await.token(201, "Successfully registered.");
    app.login(EMAIL, PASSWORD).await.token(200, "Successfully logged in.");
    let users: Vec<String> = app.db.users().into_iter().map(|u| u.email).collect();
    assert_eq!(users, vec![EMAIL.to_owned(), "ann@gmail.com".to_owned()]);
    assert!(app.db.revocations().is_empty(), "the refused logouts stored nothing");
}

/// Status checks waiting together for a connection that cannot be had are all answered 503 when the
/// first wait ends (the lanes do not make them queue one acquire timeout after another).
#[actix_web::test]
async fn concurrent_status_checks_in_an_outage_are_all_503() {
    let (app, proxy) = app_behind_proxy();
    let token = app.registered_user().await;
    proxy.cut();
    let replies = join_all((0..60).map(|_| app.status(&token))).await;
    for reply in &replies {
        reply.assert_fail(503, UNAVAILABLE);
    }
    proxy.restore();
    wait_until_serving(&app, &token).await;
    let replies = join_all((0..60).map(|_| app.status(&token))).await;
    assert!(replies.iter().all(|r| r.status == 200), "{replies:?}");
}

#[actix_web::test]
async fn nothing_answered_is_lost_when_the_database_drops_mid_burst() {
    let (app, proxy) = app_behind_proxy();
    let app = &app;
    let mut tokens = Vec::new();
    for i in 0..20 {
        tokens.push(app.register(&format!("old{i}@gmail.com"), PASSWORD).await.token(201, "Successfully registered."));
    }
    let new_emails: Vec<String> = (0..30).map(|i| format!("new{i}@gmail.com")).collect();

    // Requests spread over 0.6 s; the database is away from 0.15 s to 0.45 s, so some requests land
    // before, during and after the cut, and some are in flight when it happens.
    let after = |ms: u64| actix_web::rt::time::sleep(Duration::from_millis(ms));
    let registrations = join_all(new_emails.iter().enumerate().map(|(i, e)| async move {
        after(i as u64 * 20).await;
        app.register(e, PASSWORD).await
    }));
    let logouts = join_all(tokens.iter().enumerate().map(|(i, t)| async move {
        after(i as u64 * 30).await;
        app.logout(t).await
    }));
    let chaos = async {
        after(150).await;
        proxy.cut();
        // A request sent while the cut is on: the burst surely shared its time with the outage.
        let during = app.register("during@gmail.com", PASSWORD).await;
        after(300).await;
        proxy.restore();
        during
    };
    let (registered, logged_out, during) = futures_util::future::join3(registrations, logouts, chaos).await;
    during.assert_fail(503, UNAVAILABLE);
    wait_until_serving(app, &app.login("old0@gmail.com", PASSWORD).await.token(200, "Successfully logged in.")).await;
    assert!(!app.db.users().iter().any(|u| u.email == "during@gmail.com"), "the 503 stored a row");
    // Every 201 and every 200 is in the database.
    let stored: HashSet<String> = app.db.users().into_iter().map(|u| u.email).collect();
    for (email, reply) in new_emails.iter().zip(&registered) {
        assert_reply_in(reply, 201, &[503]);
        if reply.status == 201 {
            assert!(stored.contains(email), "201 for {email} but no row");
        }
    }
    let revoked: HashSet<String> = app.db.revocations().into_iter().map(|r| r.jti).collect();
    for (token, reply) in tokens.iter().zip(&logged_out) {
        assert_reply_in(reply, 200, &[503]);
        if reply.status == 200 {
            assert!(revoked.contains(&app.jti_of(token)), "200 for a logout but no revocation row");
        }
    }

    // Nothing half-written: each row is whole, and each revocation belongs to a token we sent.
    let users = app.db.users();
    assert!(users.iter().all(|u| u.password.starts_with("$2b$04$") && u.password.len() == 60));
    let sent: HashSet<String> = tokens.iter().map(|t| app.jti_of(t)).collect();
    for row in app.db.revocations() {
        assert!(sent.contains(&row.jti), "unknown revocation {row:?}");
        assert!(users.iter().any(|u| u.id == row.user_id));
    }

    // A client that retries its 503s ends with every user registered and every token revoked.
    for (email, reply) in new_emails.iter().zip(&registered) {
        if reply.status == 503 {
            let retry = app.register(email, PASSWORD).await;
            assert!(retry.status == 201 || retry.status == 202, "{retry:?}");
        }
        app.login(email, PASSWORD).await.token(200, "Successfully logged in.");
    }
    for (token, reply) in tokens.iter().zip(&logged_out) {
        if reply.status == 503 {
            let retry = app.logout(token).await;
            assert!(retry.status == 200 || retry.status == 401, "{retry:?}");
        }
        app.status(token).await.assert_fail(401, "Token blacklisted. Please log in again.");
    }
    assert_eq!(app.db.users().len(), 50);
    assert_eq!(app.db.revocations().len(), 20);
}

#[track_caller]
fn assert_reply_in(reply: &Reply, success: u16, failures: &[u16]) {
    if reply.status.as_u16() == success {
        return;
    }
    assert!(failures.contains(&reply.status.as_u16()), "{reply:?}");
    reply.assert_fail(503, UNAVAILABLE);
}

#[actix_web::test]
async fn a_statement_that_runs_too_long_is_cancelled_with_a_503() {
    use diesel::connection::SimpleConnection;
    let db = TestDatabase::postgres();
    let settings =
        test_settings_with(&[("APP__DATABASE__URL", db.url()), ("APP__DATABASE__STATEMENT_TIMEOUT_MS", "300")]);
    let app = TestApp::with_settings(db, settings);
    let token = app.registered_user().await;

    // Another session locks the users table, so the service's next query waits on the lock.
    let mut locker = app.db.postgres_connection();
    locker.batch_execute("BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE;").unwrap();
    let started = Instant::now();
    app.status(&token).await.assert_fail(503, UNAVAILABLE);
    app.register("ann@gmail.com", PASSWORD).await.assert_fail(503, UNAVAILABLE);
    // Each of the two waited for its 300 ms statement timeout (a lower bound only: a busy machine is slower).
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(600), "waited {waited:?}");
    locker.batch_execute("ROLLBACK;").unwrap();

    // The cancelled statements left the connections usable and nothing behind.
    assert_eq!(app.status(&token).await.status, 200);
    assert_eq!(app.db.users().len(), 1);
}
