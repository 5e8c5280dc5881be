//! Attempt limits (`abuse.*`): each trips and recovers by an injected clock, unknown emails are counted
//! like known ones, clients cannot choose their address, and counters live in the database.

use crate::helpers::{EMAIL, PASSWORD, Reply, TestApp};
use actix_web::test::TestRequest;
use auth_domain::testing::ManualClock;
use auth_testkit::{Backend, StoredCounter, on_both_backends};
use chrono::{NaiveDateTime, TimeDelta, TimeZone, Utc};
use serde_json::json;
use std::sync::Arc;

const THROTTLED: &str = "Too many attempts. Please try again later.";

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()))
}

fn at(clock: &ManualClock, plus_secs: i64) -> NaiveDateTime {
    (auth_domain::Clock::now(clock) + TimeDelta::seconds(plus_secs)).naive_utc()
}

async fn login_from(app: &TestApp, peer: &str, forwarded: Option<&str>, email: &str, password: &str) -> Reply {
    let mut request = TestRequest::post()
        .uri("/auth/login")
        .peer_addr(peer.parse().unwrap())
        .set_json(json!({"email": email, "password": password}));
    if let Some(value) = forwarded {
        request = request.insert_header(("X-Forwarded-For", value));
    }
    app.call(request).await
}

#[track_caller]
fn assert_throttled(reply: &Reply, retry_after: u64) {
    reply.assert_fail(429, THROTTLED);
    assert_eq!(reply.headers.get("retry-after").unwrap().to_str().unwrap(), retry_after.to_string(), "{reply:?}");
}

fn counter(app: &TestApp, id: &str) -> Option<StoredCounter> {
    app.db.counters().into_iter().find(|c| c.id == id)
}

async fn the_pair_limit_trips_with_a_growing_delay_and_a_success_clears_it(backend: Backend) {
    let clock = clock();
    let app = TestApp::with_clock(backend, &[], clock.clone());
    app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    let hash = app.db.users()[0].password.clone();
    let peer = "198.51.100.9:4000";
    for _ in 0..5 {
        login_from(&app, peer, None, EMAIL, "wrong-password").await.assert_fail(404, "User does not exist.");
    }
    // the right password is refused too, without being checked
    assert_throttled(&login_from(&app, peer, None, EMAIL, PASSWORD).await, 1);
    let pair = counter(&app, &format!("login_pair:198.51.100.9 {EMAIL}")).unwrap();
    assert_eq!((pair.kind.as_str(), pair.attempts, pair.blocked_until), ("login_pair", 5, Some(at(&clock, 1))));
    assert_eq!(counter(&app, &format!("login_email:{EMAIL}")).unwrap().attempts, 5);
    assert_eq!(counter(&app, "login_ip:198.51.100.9").unwrap().attempts, 5);
    assert_eq!(app.db.sessions().len(), 1, "no session started while throttled");

    // another client is not concerned
    login_from(&app, "203.0.113.5:4000", None, EMAIL, PASSWORD).await.token(200, "Successfully logged in.");

    clock.advance(TimeDelta::seconds(1));
    login_from(&app, peer, None, EMAIL, "wrong-password").await.assert_fail(404, "User does not exist.");
    assert_throttled(&login_from(&app, peer, None, EMAIL, PASSWORD).await, 2);
    clock.advance(TimeDelta::seconds(2));
    login_from(&app, peer, None, EMAIL, PASSWORD).await.token(200, "Successfully logged in.");
    assert_eq!(counter(&app, &format!("login_pair:198.51.100.9 {EMAIL}")), None, "a success clears its pair");
    assert_eq!(counter(&app, &format!("login_email:{EMAIL}")).unwrap().attempts, 6);
    assert_eq!(app.db.users()[0].password, hash);

    // the window ends: counts start again
    clock.advance(TimeDelta::seconds(900));
    login_from(&app, peer, None, EMAIL, "wrong-password").await.assert_fail(404, "User does not exist.");
    assert_eq!(counter(&app, &format!("login_email:{EMAIL}")).unwrap().attempts, 1);
}

/// Attempts are counted before they are hashed: twenty wrong passwords at once against a limit of five
/// get exactly five hashed answers (404) and fifteen 429s, and only those five are verified.
async fn parallel_wrong_passwords_cannot_pass_the_limit(backend: Backend) {
    let clock = clock();
    let app = TestApp::with_clock(backend, &[], clock.clone());
    app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    let peer = "198.51.100.9:4000";
    let verified = app.service().password_verifications();
    let replies =
        futures_util::future::join_all((0..20).map(|_| login_from(&app, peer, None, EMAIL, "wrong-password"))).await;
    let statuses = |code: u16| replies.iter().filter(|r| r.status.as_u16() == code).count();
    assert_eq!((statuses(404), statuses(429)), (5, 15), "{replies:?}");
    for reply in replies.iter().filter(|r| r.status.as_u16() == 429) {
        reply.assert_fail(429, THROTTLED);
    }
    assert_eq!(app.service().password_verifications() - verified, 5, "only the counted attempts were hashed");
    assert_eq!(counter(&app, &format!("login_pair:198.51.100.9 {EMAIL}")).unwrap().attempts, 5);
    assert_eq!(counter(&app, &format!("login_email:{EMAIL}")).unwrap().attempts, 5, "the refused counted nothing");
    let failed = app.db.event_kinds().into_iter().filter(|(kind, _)| kind == "login_failed").count();
    assert_eq!(failed, 5);
}

/// A throttled login is refused before it takes a hash slot: it never waits behind other requests'
/// hashes (during a login flood it would wait seconds for a slot, to be refused anyway).
async fn throttled_logins_take_no_hash_slot(backend: Backend) {
    let clock = clock();
    let app = TestApp::with_clock(backend, &[], clock.clone());
    app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    let peer = "198.51.100.9:4000";
    for _ in 0..5 {
        login_from(&app, peer, None, EMAIL, "wrong-password").await.assert_fail(404, "User does not exist.");
    }
    let slots = app.hash_slots_taken();
    for _ in 0..30 {
        assert_throttled(&login_from(&app, peer, None, EMAIL, PASSWORD).await, 1);
    }
    assert_eq!(app.hash_slots_taken(), slots, "a throttled login took a hash slot");
    let token = app.login(EMAIL, PASSWORD).await.token(200, "Successfully logged in.");
    assert_eq!(app.hash_slots_taken(), slots + 1);
    for _ in 0..5 {
        app.change_password(&token, "wrong-password", "a-new-password").await;
    }
    let slots = app.hash_slots_taken();
    assert_throttled(&app.change_password(&token, PASSWORD, "a-new-password").await, 1);
    assert_eq!(app.hash_slots_taken(), slots, "a throttled password change took a hash slot");
}

/// A stolen access token must not guess the password faster than a login could: a wrong current password
/// counts with the account's failed logins (the same counters and limits), is recorded, and past the
/// limit the change is refused before anything is hashed.
async fn the_current_password_is_throttled_like_a_login(backend: Backend) {
    let clock = clock();
    let app = TestApp::with_clock(backend, &[], clock.clone());
    let token = app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    let verified = app.service().password_verifications();
    for _ in 0..5 {
        app.change_password(&token, "wrong-password", "a-new-password")
            .await
            .assert_fail(403, "Current password is incorrect.");
    }
    let throttled = app.change_password(&token, PASSWORD, "a-new-password").await;
    assert_throttled(&throttled, 1);
    assert_eq!(app.service().password_verifications() - verified, 5, "the refused change hashed nothing");
    let failed = app.db.event_kinds().into_iter().filter(|(kind, _)| kind == "password_check_failed").count();
    assert_eq!(failed, 5);
    // the same counters as a login's: a login from the same client is refused too
    assert_throttled(&app.login(EMAIL, PASSWORD).await, 1);
    assert_eq!(counter(&app, &format!("login_pair:unknown {EMAIL}")).unwrap().attempts, 5);
    let hash = app.db.users()[0].password.clone();
    clock.advance(TimeDelta::seconds(1));
    app.change_password(&token, PASSWORD, "a-new-password")
        .await
        .assert(200, json!({"status": "success", "message": "Password changed."}));
    assert_ne!(app.db.users()[0].password, hash);
    assert_eq!(counter(&app, &format!("login_pair:unknown {EMAIL}")), None, "a success clears its pair");
}

/// People type passwords into email fields: what does not parse as an address is counted and recorded
/// under a keyed hash of it, never as typed.
async fn text_typed_into_the_email_field_is_never_stored(backend: Backend) {
    let clock = clock();
    let app = TestApp::with_clock(backend, &[], clock.clone());
    let peer = "198.51.100.9:4000";
    for _ in 0..6 {
        login_from(&app, peer, None, "MyS3cretPassw0rd!", "x").await;
    }
    let dump = app.db.dump().to_lowercase();
    assert!(!dump.contains("mys3cret"), "{dump}");
    let masked: Vec<String> =
        app.db.counters().into_iter().map(|c| c.id).filter(|id| id.contains("unparsed:")).collect();
    assert_eq!(masked.len(), 2, "the pair and the subject: {masked:?}");
    // the same text is the same counter, in any case and spacing
    assert_throttled(&login_from(&app, peer, None, "  mys3cretpassw0rd! ", "x").await, 1);
}

async fn unknown_emails_are_counted_and_answered_like_known_ones(backend: Backend) {
    let clock = clock();
    let app = TestApp::with_clock(backend, &[], clock.clone());
    app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    let peer = "198.51.100.9:4000";
    for email in [EMAIL, "nobody@example.com"] {
        for _ in 0..5 {
            login_from(&app, peer, None, email, "wrong-password").await.assert_fail(404, "User does not exist.");
        }
        assert_throttled(&login_from(&app, peer, None, email, "wrong-password").await, 1);
    }
    let ids: Vec<(String, i64)> =
        app.db.counters().into_iter().filter(|c| c.kind != "register_ip").map(|c| (c.id, c.attempts)).collect();
    assert_eq!(
        ids,
        [
            ("login_email:joe@gmail.com".to_owned(), 5),
            ("login_email:nobody@example.com".to_owned(), 5),
            ("login_ip:198.51.100.9".to_owned(), 10),
            ("login_pair:198.51.100.9 joe@gmail.com".to_owned(), 5),
            ("login_pair:198.51.100.9 nobody@example.com".to_owned(), 5),
        ]
    );
}

async fn a_client_cannot_choose_its_address(backend: Backend) {
    let clock = clock();
    let app = TestApp::with_clock(backend, &[], clock.clone());
    app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    // no trusted proxies: X-Forwarded-For is not believed
    for n in 0..5 {
        login_from(&app, "198.51.100.9:4000", Some(&format!("192.0.2.{n}")), EMAIL, "wrong-password")
            .await
            .assert_fail(404, "User does not exist.");
    }
    let reply = login_from(&app, "198.51.100.9:4000", Some("192.0.2.77"), EMAIL, PASSWORD).await;
    assert_throttled(&reply, 1);
    assert!(app.db.counters().iter().all(|c| !c.id.contains("192.0.2.")));
}

async fn behind_a_trusted_proxy_the_appended_address_is_the_client(backend: Backend) {
    let clock = clock();
    let app = TestApp::with_clock(backend, &[("APP__SERVER__TRUSTED_PROXIES", "10.0.0.0/8")], clock.clone());
    app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    // the client put 192.0.2.1 in the header itself; the proxy appended the address it saw
    for _ in 0..5 {
        login_from(&app, "10.0.0.2:4000", Some("192.0.2.1, 203.0.113.7"), EMAIL, "wrong-password")
            .await
            .assert_fail(404, "User does not exist.");
    }
    let spoofed = login_from(&app, "10.0.0.2:4000", Some("192.0.2.99, 203.0.113.7"), EMAIL, PASSWORD).await;
    assert_throttled(&spoofed, 1);
    assert_eq!(counter(&app, "login_ip:203.0.113.7").unwrap().attempts, 5);
    // another client behind the same proxy is not concerned
    login_from(&app, "10.0.0.2:4000", Some("203.0.113.8"), EMAIL, PASSWORD).await.token(200, "Successfully logged in.");
    // an untrusted peer's header is still ignored
    login_from(&app, "198.51.100.9:4000", Some("203.0.113.7"), EMAIL, PASSWORD)
        .await
        .token(200, "Successfully logged in.");
}

async fn the_email_limit_spans_clients_and_its_delay_is_capped(backend: Backend) {
    let clock = clock();
    let vars = [
        ("APP__ABUSE__LOGIN_PAIR_MAX_FAILURES", "0"),
        ("APP__ABUSE__LOGIN_IP_MAX_FAILURES", "0"),
        ("APP__ABUSE__LOGIN_EMAIL_MAX_FAILURES", "3"),
    ];
    let app = TestApp::with_clock(backend, &vars, clock.clone());
    app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    for n in 0..3 {
        login_from(&app, &format!("192.0.2.{n}:4000"), None, EMAIL, "wrong-password")
            .await
            .assert_fail(404, "User does not exist.");
    }
    assert_throttled(&login_from(&app, "203.0.113.1:4000", None, EMAIL, PASSWORD).await, 1);
    // an attacker who keeps failing doubles the delay, but never past 60 s
    let mut delays = Vec::new();
    for n in 0..10 {
        let until = counter(&app, &format!("login_email:{EMAIL}")).unwrap().blocked_until.unwrap();
        let wait = (until - at(&clock, 0)).num_seconds();
        delays.push(wait);
        clock.advance(TimeDelta::seconds(wait));
        login_from(&app, &format!("198.51.100.{n}:4000"), None, EMAIL, "wrong-password")
            .await
            .assert_fail(404, "User does not exist.");
    }
    assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
    let kinds: Vec<String> = app.db.counters().into_iter().map(|c| c.kind).collect();
    assert_eq!(kinds, ["login_email", "register_ip"], "of the logins, only the email is counted");
    clock.advance(TimeDelta::seconds(60));
    login_from(&app, "203.0.113.1:4000", None, EMAIL, PASSWORD).await.token(200, "Successfully logged in.");
}

async fn the_client_limit_spans_emails_and_recovers(backend: Backend) {
    let clock = clock();
    let vars = [("APP__ABUSE__LOGIN_IP_MAX_FAILURES", "3")];
    let app = TestApp::with_clock(backend, &vars, clock.clone());
    app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    for email in ["a@example.com", "b@example.com", "c@example.com"] {
        login_from(&app, "198.51.100.9:4000", None, email, "guess").await.assert_fail(404, "User does not exist.");
    }
    // a fourth account from the same client, even with its right password
    assert_throttled(&login_from(&app, "198.51.100.9:4000", None, EMAIL, PASSWORD).await, 1);
    // another client is not concerned
    login_from(&app, "198.51.100.10:4000", None, EMAIL, PASSWORD).await.token(200, "Successfully logged in.");
    clock.advance(TimeDelta::seconds(1));
    login_from(&app, "198.51.100.9:4000", None, EMAIL, PASSWORD).await.token(200, "Successfully logged in.");
    assert_eq!(counter(&app, "login_ip:198.51.100.9").unwrap().attempts, 3, "a success clears only its pair");
}

async fn registrations_per_client_are_limited_per_hour(backend: Backend) {
    let clock = clock();
    let app = TestApp::with_clock(backend, &[("APP__ABUSE__REGISTER_PER_IP_PER_HOUR", "2")], clock.clone());
    let register = |email: &'static str, peer: &'static str| {
        app.call(
            TestRequest::post()
                .uri("/auth/register")
                .peer_addr(peer.parse().unwrap())
                .set_json(json!({"email": email, "password": PASSWORD})),
        )
    };
    register("a@example.com", "198.51.100.9:1").await.token(201, "Successfully registered.");
    clock.advance(TimeDelta::minutes(10));
    register("a@example.com", "198.51.100.9:1").await.assert_fail(202, "User already exists. Please Log in.");
    // invalid input is answered as before and not counted
    register("not-an-email", "198.51.100.9:1").await.assert_fail(400, "Invalid email address.");
    assert_throttled(&register("b@example.com", "198.51.100.9:1").await, 50 * 60);
    register("b@example.com", "198.51.100.10:1").await.token(201, "Successfully registered.");
    assert_eq!(app.db.users().len(), 2);
    clock.advance(TimeDelta::minutes(50));
    register("c@example.com", "198.51.100.9:1").await.token(201, "Successfully registered.");
    assert_eq!(counter(&app, "register_ip:198.51.100.9").unwrap().attempts, 1);
}

on_both_backends!(async
    parallel_wrong_passwords_cannot_pass_the_limit,
    the_current_password_is_throttled_like_a_login,
    throttled_logins_take_no_hash_slot,
    text_typed_into_the_email_field_is_never_stored,
    the_pair_limit_trips_with_a_growing_delay_and_a_success_clears_it,
    unknown_emails_are_counted_and_answered_like_known_ones,
    a_client_cannot_choose_its_address,
    behind_a_trusted_proxy_the_appended_address_is_the_client,
    the_email_limit_spans_clients_and_its_delay_is_capped,
    the_client_limit_spans_emails_and_recovers,
    registrations_per_client_are_limited_per_hour,
);
