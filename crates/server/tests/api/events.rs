//! The security event log: every kind written once, with its fields, in the transaction of its change;
//! read by administrators only.

use crate::helpers::{EMAIL, PASSWORD, Reply, TestApp, claims_of};
use actix_web::test::TestRequest;
use auth_domain::testing::ManualClock;
use auth_testkit::{Backend, on_both_backends};
use chrono::{TimeDelta, TimeZone, Utc};
use serde_json::{Value, json};
use std::sync::Arc;

const PEER: &str = "198.51.100.9:4000";
const AGENT: &str = "event-test/1.0";

fn post(path: &str, body: Value) -> TestRequest {
    TestRequest::post().uri(path).peer_addr(PEER.parse().unwrap()).insert_header(("User-Agent", AGENT)).set_json(body)
}

fn bearer(request: TestRequest, token: &str) -> TestRequest {
    request
        .peer_addr(PEER.parse().unwrap())
        .insert_header(("User-Agent", AGENT))
        .insert_header(("Authorization", format!("Bearer {token}")))
}

async fn events(app: &TestApp, token: &str, query: &str) -> Reply {
    app.call(bearer(TestRequest::get().uri(&format!("/admin/events{query}")), token)).await
}

fn sid(token: &str) -> String {
    claims_of(token)["sid"].as_str().unwrap().to_owned()
}

async fn every_kind_is_written_once_with_its_fields(backend: Backend) {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()));
    let app = TestApp::with_clock(backend, &[], clock.clone());
    let credentials = json!({"email": EMAIL, "password": PASSWORD});
    let (first, first_refresh) =
        app.call(post("/auth/register", credentials.clone())).await.tokens(201, "Successfully registered.");
    app.call(post("/auth/login", json!({"email": EMAIL, "password": "wrong-one"})))
        .await
        .assert_fail(404, "User does not exist.");
    let (second, _) = app.call(post("/auth/login", credentials.clone())).await.tokens(200, "Successfully logged in.");
    let refreshed = app.call(post("/auth/refresh", json!({"refresh_token": first_refresh}))).await;
    let (first_again, _) = refreshed.tokens(200, "Successfully refreshed.");
    clock.advance(TimeDelta::seconds(11));
    app.call(post("/auth/refresh", json!({"refresh_token": first_refresh})))
        .await
        .assert_fail(401, "Invalid refresh token. Please log in again.");
    let (third, _) = app.call(post("/auth/login", credentials.clone())).await.tokens(200, "Successfully logged in.");
    app.call(bearer(TestRequest::delete().uri(&format!("/auth/sessions/{}", sid(&second))), &third))
        .await
        .assert(200, json!({"status": "success", "message": "Session ended."}));
    let change = json!({"current_password": PASSWORD, "new_password": "n3w-password"});
    app.call(bearer(TestRequest::post().uri("/auth/password").set_json(change), &third))
        .await
        .assert(200, json!({"status": "success", "message": "Password changed."}));
    app.call(bearer(TestRequest::post().uri("/auth/logout"), &third))
        .await
        .assert(200, json!({"status": "success", "message": "Successfully logged out."}));
    // a throttled flood: one row, counted
    for _ in 0..5 {
        app.call(post("/auth/login", json!({"email": "ann@example.com", "password": "guess"})))
            .await
            .assert_fail(404, "User does not exist.");
    }
    for _ in 0..3 {
        app.call(post("/auth/login", json!({"email": "ann@example.com", "password": "guess"})))
            .await
            .assert_fail(429, "Too many attempts. Please try again later.");
    }
    assert!(first_again != first);

    let stored = app.db.event_kinds();
    let kinds: Vec<(&str, i64)> = stored.iter().map(|(k, c)| (k.as_str(), *c)).collect();
    assert_eq!(
        kinds,
        [
            ("register", 1),
            ("login_failed", 1),
            ("login_succeeded", 1),
            ("refresh", 1),
            ("refresh_reuse_detected", 1),
            ("login_succeeded", 1),
            ("session_ended", 1),
            ("password_changed", 1),
            ("logout", 1),
            ("login_failed", 1),
            ("login_failed", 1),
            ("login_failed", 1),
            ("login_failed", 1),
            ("login_failed", 1),
            ("login_throttled", 3),
        ]
    );

    // only an administrator reads them
    let mut admin = app.call(post("/auth/register", json!({"email": "root@example.com", "password": PASSWORD}))).await;
    let admin_token = admin.token(201, "Successfully registered.");
    events(&app, &admin_token, "").await.assert_fail(403, "Admin rights required.");
    app.service().set_admin("root@example.com", true).unwrap();
    events(&app, &admin_token, "?limit=0").await.assert_fail(400, "Invalid limit.");
    events(&app, &admin_token, "?email=not-an-email").await.assert_fail(400, "Invalid email address.");
    events(&app, "garbage", "").await.assert_fail(401, "Invalid token. Please log in again.");

    admin = events(&app, &admin_token, &format!("?email={EMAIL}")).await;
    assert_eq!(admin.status.as_u16(), 200, "{admin:?}");
    let listed = admin.body["data"]["events"].as_array().unwrap().clone();
    let at = |secs: i64| {
        (Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap() + TimeDelta::seconds(secs))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let event = |at: String, kind: &str, sid: Option<String>| {
        json!({"at": at, "kind": kind, "user_id": 1, "email": EMAIL, "ip": "198.51.100.9", "user_agent": AGENT,
               "session_id": sid, "count": 1})
    };
    // newest first; the same second orders by insertion
    assert_eq!(
        listed,
        [
            event(at(11), "logout", Some(sid(&third))),
            event(at(11), "password_changed", Some(sid(&third))),
            event(at(11), "session_ended", Some(sid(&second))),
            event(at(11), "login_succeeded", Some(sid(&third))),
            event(at(11), "refresh_reuse_detected", Some(sid(&first))),
            event(at(0), "refresh", Some(sid(&first))),
            event(at(0), "login_succeeded", Some(sid(&second))),
            event(at(0), "login_failed", None),
            event(at(0), "register", Some(sid(&first))),
        ]
    );
    let all = events(&app, &admin_token, "?limit=2").await;
    let kinds: Vec<&str> =
        all.body["data"]["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["register", "login_throttled"]);
    let throttled = &all.body["data"]["events"][1];
    assert_eq!(
        (throttled["count"].clone(), throttled["user_id"].clone(), throttled["email"].clone()),
        (json!(3), Value::Null, json!("ann@example.com"))
    );

    // a deleted user's events stay, without the address: none is found by it any more
    let before = events(&app, &admin_token, "?limit=1000").await.body["data"]["events"].as_array().unwrap().len();
    app.service().delete_user(EMAIL).unwrap();
    assert_eq!(
        events(&app, &admin_token, &format!("?email={EMAIL}")).await.body["data"]["events"].as_array().unwrap().len(),
        0
    );
    let after = events(&app, &admin_token, "?limit=1000").await;
    let after = after.body["data"]["events"].as_array().unwrap();
    assert_eq!(after.len(), before + 1);
    assert_eq!((after[0]["kind"].as_str(), after[0]["email"].clone()), (Some("user_deleted"), Value::Null));
    assert!(after.iter().all(|e| e["email"] != EMAIL), "the address is in none of them");
}

/// Makes every insert of an event of `kind` fail, as a full or broken event table would.
fn refuse_events_of(app: &TestApp, kind: &str) {
    match app.db.backend() {
        Backend::Sqlite => app.db.execute(&format!(
            "CREATE TRIGGER refuse_{kind} BEFORE INSERT ON auth_events WHEN NEW.kind = '{kind}' \
             BEGIN SELECT RAISE(ABORT, 'refused'); END;"
        )),
        Backend::Postgres => {
            app.db.execute(&format!("ALTER TABLE auth_events ADD CONSTRAINT refuse_{kind} CHECK (kind <> '{kind}')"))
        }
    }
}

/// An event is written in the transaction of the change it records: when it cannot be written, the
/// change is rolled back and the request is a 503, never a change without its record.
async fn a_change_whose_event_fails_is_rolled_back(backend: Backend) {
    let app = TestApp::new(backend);
    let token = app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    let other = app.login(EMAIL, PASSWORD).await.token(200, "Successfully logged in.");
    refuse_events_of(&app, "logout");
    refuse_events_of(&app, "password_changed");
    app.logout(&token).await.assert_fail(503, "Service temporarily unavailable. Please try again.");
    assert!(app.db.revocations().is_empty());
    assert!(app.db.sessions().iter().all(|s| s.live()), "no session ended");
    assert_eq!(app.status(&token).await.status.as_u16(), 200);
    let hash = app.db.users()[0].password.clone();
    app.change_password(&token, PASSWORD, "a-new-password")
        .await
        .assert_fail(503, "Service temporarily unavailable. Please try again.");
    assert_eq!(app.db.users()[0].password, hash, "the password is unchanged");
    assert_eq!(app.status(&other).await.status.as_u16(), 200, "no other session ended");
    let kinds: Vec<String> = app.db.event_kinds().into_iter().map(|(kind, _)| kind).collect();
    assert_eq!(kinds, ["register", "login_succeeded"]);
}

/// `audit.retention_days` reaches the pruning: events older than it go, the rest stay.
async fn events_past_the_retention_are_pruned(backend: Backend) {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()));
    let app = TestApp::with_clock(backend, &[("APP__AUDIT__RETENTION_DAYS", "2")], clock.clone());
    app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    clock.advance(TimeDelta::days(1));
    app.login(EMAIL, PASSWORD).await.token(200, "Successfully logged in.");
    clock.advance(TimeDelta::days(1) + TimeDelta::seconds(1));
    let pruned = app.service().prune().unwrap();
    assert_eq!(pruned.events, 1);
    let kinds: Vec<String> = app.db.event_kinds().into_iter().map(|(kind, _)| kind).collect();
    assert_eq!(kinds, ["login_succeeded"]);
}

on_both_backends!(async
    every_kind_is_written_once_with_its_fields,
    a_change_whose_event_fails_is_rolled_back,
    events_past_the_retention_are_pruned,
);
