//! Sessions: refresh tokens with rotation and reuse detection, the session list, ending one or all,
//! password change. Every status code, with what the database holds afterwards; time moves by an
//! injected clock, never by sleeping.

use crate::helpers::{EMAIL, PASSWORD, TestApp, claims_of};
use actix_web::test::TestRequest;
use auth_domain::testing::ManualClock;
use auth_testkit::{Backend, on_both_backends};
use chrono::{TimeDelta, TimeZone, Utc};
use futures_util::future::join_all;
use serde_json::json;
use std::sync::Arc;

const BLACKLISTED: &str = "Token blacklisted. Please log in again.";
const INVALID_REFRESH: &str = "Invalid refresh token. Please log in again.";

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()))
}

/// The session id an access token carries.
fn sid(token: &str) -> String {
    claims_of(token)["sid"].as_str().unwrap().to_owned()
}

/// The `jti` of an access token.
fn jti(token: &str) -> String {
    claims_of(token)["jti"].as_str().unwrap().to_owned()
}

fn app(backend: Backend, clock: &Arc<ManualClock>) -> TestApp {
    TestApp::with_clock(backend, &[], clock.clone())
}

async fn register_and_login_start_sessions(backend: Backend) {
    let clock = clock();
    let app = app(backend, &clock);
    let (access, refresh) = app.register(EMAIL, PASSWORD).await.tokens(201, "Successfully registered.");
    clock.advance(TimeDelta::seconds(5));
    let login = app
        .call(
            TestRequest::post()
                .uri("/auth/login")
                .insert_header(("User-Agent", "Firefox\t/142"))
                .set_json(json!({"email": EMAIL, "password": PASSWORD})),
        )
        .await;
    let (second, second_refresh) = login.tokens(200, "Successfully logged in.");
    assert_ne!(refresh, second_refresh);

    let sessions = app.db.sessions();
    assert_eq!(sessions.len(), 2);
    let user = &app.db.users()[0];
    for (session, token) in sessions.iter().zip([&access, &second]) {
        assert_eq!(claims_of(token)["sid"], session.id.as_str());
        assert_eq!((session.user_id, session.generation, session.live()), (user.id, 0, true));
    }
    assert_eq!(sessions[1].user_agent.as_deref(), Some("Firefox/142"), "control characters are dropped");
    assert_eq!(sessions[1].created_at, (Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 5).unwrap()).naive_utc());
    // no refresh token is stored in any form a reader of the database could use
    for session in &sessions {
        let row = format!("{session:?}");
        assert!(!row.contains(&refresh) && !row.contains(&second_refresh), "{row}");
    }
    app.status(&access).await.assert(200, app.status(&second).await.body.clone());
}

async fn a_refresh_rotates_and_the_consumed_token_gets_the_same_answer_within_the_grace(backend: Backend) {
    let clock = clock();
    let app = app(backend, &clock);
    let (access, refresh) = app.register(EMAIL, PASSWORD).await.tokens(201, "Successfully registered.");
    clock.advance(TimeDelta::minutes(5));
    let (new_access, new_refresh) = app.refresh(&refresh).await.tokens(200, "Successfully refreshed.");
    assert_ne!(new_refresh, refresh);
    assert_eq!(claims_of(&new_access)["sid"], claims_of(&access)["sid"]);
    let session = &app.db.sessions()[0];
    assert_eq!(session.generation, 1);
    assert_eq!(session.last_active_at, (Utc.with_ymd_and_hms(2026, 11, 29, 12, 5, 0).unwrap()).naive_utc());

    // a second tab, 9 s later: the same new refresh token, the session alive
    clock.advance(TimeDelta::seconds(9));
    let (_, again) = app.refresh(&refresh).await.tokens(200, "Successfully refreshed.");
    assert_eq!(again, new_refresh);
    assert!(app.db.sessions()[0].live());
    // both access tokens work, and the new refresh token moves the session on
    assert_eq!(app.status(&access).await.status, 200);
    assert_eq!(app.status(&new_access).await.status, 200);
    let (_, third) = app.refresh(&new_refresh).await.tokens(200, "Successfully refreshed.");
    assert_eq!(app.db.sessions()[0].generation, 2);
    // only the token current just before the latest rotation has a grace: the first one is reuse now
    app.refresh(&refresh).await.assert_fail(401, INVALID_REFRESH);
    assert_eq!(app.db.sessions()[0].end_reason.as_deref(), Some("reuse"));
    app.refresh(&third).await.assert_fail(401, INVALID_REFRESH);
}

async fn reuse_after_the_grace_ends_the_session_and_its_access_tokens(backend: Backend) {
    let clock = clock();
    let app = app(backend, &clock);
    let (access, refresh) = app.register(EMAIL, PASSWORD).await.tokens(201, "Successfully registered.");
    let (new_access, new_refresh) = app.refresh(&refresh).await.tokens(200, "Successfully refreshed.");
    // another session of the same user is not touched
    let other = app.login(EMAIL, PASSWORD).await.token(200, "Successfully logged in.");
    clock.advance(TimeDelta::seconds(11));

    app.refresh(&refresh).await.assert_fail(401, INVALID_REFRESH);
    let reused = app.db.session(&sid(&access));
    assert_eq!(reused.end_reason.as_deref(), Some("reuse"));
    assert!(reused.ended_at.is_some() && app.db.session(&sid(&other)).live());
    app.refresh(&new_refresh).await.assert_fail(401, INVALID_REFRESH);
    for token in [&access, &new_access] {
        app.status(token).await.assert_fail(401, BLACKLISTED);
        app.logout(token).await.assert_fail(401, BLACKLISTED);
    }
    assert_eq!(app.status(&other).await.status, 200);
    assert!(app.db.revocations().is_empty(), "refused logouts store nothing");
}

async fn twenty_concurrent_refreshes_all_get_the_one_new_token(backend: Backend) {
    let clock = clock();
    let app = &app(backend, &clock);
    let (_, refresh) = app.register(EMAIL, PASSWORD).await.tokens(201, "Successfully registered.");
    let replies = join_all((0..20).map(|_| app.refresh(&refresh))).await;
    let tokens: Vec<String> = replies.iter().map(|r| r.tokens(200, "Successfully refreshed.").1).collect();
    assert!(tokens.iter().all(|t| *t == tokens[0]), "{tokens:?}");
    assert_eq!(app.db.sessions()[0].generation, 1);
    assert!(app.db.sessions()[0].live());

    // the consumed parent, after the window, twenty times at once: each refused, the session ended
    clock.advance(TimeDelta::seconds(11));
    for reply in join_all((0..20).map(|_| app.refresh(&refresh))).await {
        reply.assert_fail(401, INVALID_REFRESH);
    }
    assert_eq!(app.db.sessions()[0].end_reason.as_deref(), Some("reuse"));
    app.refresh(&tokens[0]).await.assert_fail(401, INVALID_REFRESH);
}

/// A stolen refresh token presented at the same moment as its owner's (no grace window): exactly one
/// presentation rotates the session (the compare-and-swap), every other is reuse, and reuse ends the
/// session, the new tokens with it. Without the swap, every presentation would rotate and be answered.
async fn a_reuse_racing_a_rotation_ends_the_session(backend: Backend) {
    let clock = clock();
    let app = TestApp::with_clock(backend, &[("APP__SESSIONS__REFRESH_REUSE_GRACE_SECS", "0")], clock.clone());
    let (access, refresh) = app.register(EMAIL, PASSWORD).await.tokens(201, "Successfully registered.");
    let replies = join_all((0..10).map(|_| app.refresh(&refresh))).await;
    let rotated: Vec<&crate::helpers::Reply> = replies.iter().filter(|r| r.status.as_u16() == 200).collect();
    assert_eq!(rotated.len(), 1, "{replies:?}");
    for reply in replies.iter().filter(|r| r.status.as_u16() != 200) {
        reply.assert_fail(401, INVALID_REFRESH);
    }
    let (new_access, new_refresh) = rotated[0].tokens(200, "Successfully refreshed.");
    let session = &app.db.sessions()[0];
    assert_eq!((session.generation, session.end_reason.as_deref()), (1, Some("reuse")));
    app.status(&new_access).await.assert_fail(401, BLACKLISTED);
    app.status(&access).await.assert_fail(401, BLACKLISTED);
    app.refresh(&new_refresh).await.assert_fail(401, INVALID_REFRESH);
    let kinds: Vec<String> = app.db.event_kinds().into_iter().map(|(kind, _)| kind).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "refresh").count(), 1);
    // the first reuse ends the session; what comes after finds none (no event)
    assert!(kinds.iter().any(|k| k == "refresh_reuse_detected"), "{kinds:?}");
}

/// A session that has died by time takes its access tokens with it, not only its refresh token: idle
/// past `sessions.refresh_ttl_secs`, or past `sessions.max_lifetime_secs` however often refreshed.
async fn access_tokens_die_with_a_session_past_its_lifetime(backend: Backend) {
    let clock = clock();
    let vars = [("APP__SESSIONS__REFRESH_TTL_SECS", "60"), ("APP__SESSIONS__MAX_LIFETIME_SECS", "120")];
    let app = TestApp::with_clock(backend, &vars, clock.clone());
    let idle = app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    let (busy, mut refresh) = app.login(EMAIL, PASSWORD).await.tokens(200, "Successfully logged in.");
    clock.advance(TimeDelta::seconds(50));
    let (_, next) = app.refresh(&refresh).await.tokens(200, "Successfully refreshed.");
    refresh = next;
    clock.advance(TimeDelta::seconds(10));
    // 60 s without a refresh: the first session is dead, its access token (an hour's) with it
    app.status(&idle).await.assert_fail(401, BLACKLISTED);
    assert_eq!(app.status(&busy).await.status, 200);
    clock.advance(TimeDelta::seconds(45));
    let (refreshed, _) = app.refresh(&refresh).await.tokens(200, "Successfully refreshed.");
    clock.advance(TimeDelta::seconds(15));
    // 120 s since the login: past the lifetime, however recently refreshed
    app.status(&busy).await.assert_fail(401, BLACKLISTED);
    app.status(&refreshed).await.assert_fail(401, BLACKLISTED);
    assert!(app.sessions(&refreshed).await.status.as_u16() == 401);
}

async fn a_bad_refresh_request_is_refused_and_changes_nothing(backend: Backend) {
    let clock = clock();
    let app = app(backend, &clock);
    let (_, refresh) = app.register(EMAIL, PASSWORD).await.tokens(201, "Successfully registered.");
    app.post_json("/auth/refresh", json!({})).await.assert_fail(400, "The refresh_token field is required.");
    app.post_json("/auth/refresh", json!({"refresh_token": 7}))
        .await
        .assert_fail(400, "The refresh_token field must be a string.");
    app.post_json("/auth/refresh", json!(["x"])).await.assert_fail(400, "Request body must be a JSON object.");
    let mut forged: Vec<char> = refresh.chars().collect();
    forged[50] = if forged[50] == 'A' { 'B' } else { 'A' };
    for token in ["", "garbage", &"A".repeat(75), &forged.iter().collect::<String>(), &"x".repeat(9000)] {
        app.refresh(token).await.assert_fail(401, INVALID_REFRESH);
    }
    // a token of another deployment (another key) is not ours
    let foreign = auth_domain::RefreshTokenCodec::new(&secrecy::SecretString::from("another-secret"));
    let claim = auth_domain::RefreshClaim {
        session: auth_domain::SessionId::parse(&app.db.sessions()[0].id).unwrap(),
        generation: 0,
    };
    app.refresh(secrecy::ExposeSecret::expose_secret(&foreign.issue(claim))).await.assert_fail(401, INVALID_REFRESH);
    let session = &app.db.sessions()[0];
    assert!(session.live() && session.generation == 0, "{session:?}");
    app.refresh(&refresh).await.tokens(200, "Successfully refreshed.");
}

async fn refresh_tokens_expire_when_idle_and_sessions_at_their_lifetime(backend: Backend) {
    let clock = clock();
    let vars = [("APP__SESSIONS__REFRESH_TTL_SECS", "600"), ("APP__SESSIONS__MAX_LIFETIME_SECS", "1500")];
    let app = TestApp::with_clock(backend, &vars, clock.clone());
    let (_, idle) = app.register(EMAIL, PASSWORD).await.tokens(201, "Successfully registered.");
    let (_, mut busy) = app.login(EMAIL, PASSWORD).await.tokens(200, "Successfully logged in.");
    clock.advance(TimeDelta::seconds(599));
    busy = app.refresh(&busy).await.tokens(200, "Successfully refreshed.").1;
    clock.advance(TimeDelta::seconds(2));
    app.refresh(&idle).await.assert_fail(401, INVALID_REFRESH);
    // refreshed well within its idle time, the busy one still dies 1500 s after its start
    clock.advance(TimeDelta::seconds(500));
    busy = app.refresh(&busy).await.tokens(200, "Successfully refreshed.").1;
    clock.advance(TimeDelta::seconds(400));
    app.refresh(&busy).await.assert_fail(401, INVALID_REFRESH);
}

async fn the_session_list_shows_live_sessions_newest_first(backend: Backend) {
    let clock = clock();
    let app = app(backend, &clock);
    let first = app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    clock.advance(TimeDelta::seconds(10));
    let second = app
        .call(
            TestRequest::post()
                .uri("/auth/login")
                .insert_header(("User-Agent", "curl/8"))
                .peer_addr("10.1.2.3:5555".parse().unwrap())
                .set_json(json!({"email": EMAIL, "password": PASSWORD})),
        )
        .await
        .token(200, "Successfully logged in.");
    clock.advance(TimeDelta::seconds(10));
    let third = app.login(EMAIL, PASSWORD).await.token(200, "Successfully logged in.");
    app.end_session(&third, claims_of(&first)["sid"].as_str().unwrap())
        .await
        .assert(200, json!({"status": "success", "message": "Session ended."}));

    let reply = app.sessions(&second).await;
    reply.assert(
        200,
        json!({"status": "success", "data": {"sessions": [
            {"id": sid(&third), "created_on": "2026-11-29T12:00:20Z", "last_active_on": "2026-11-29T12:00:20Z",
             "user_agent": null, "ip": null, "current": false},
            {"id": sid(&second), "created_on": "2026-11-29T12:00:10Z", "last_active_on": "2026-11-29T12:00:10Z",
             "user_agent": "curl/8", "ip": "10.1.2.3", "current": true},
        ]}}),
    );
    app.call(TestRequest::get().uri("/auth/sessions")).await.assert_fail(401, "Provide a valid auth token.");
    app.sessions(&first).await.assert_fail(401, BLACKLISTED);
}

async fn ending_a_session_refuses_its_tokens_and_only_the_owner_can(backend: Backend) {
    let clock = clock();
    let app = app(backend, &clock);
    let (mine, mine_refresh) = app.register(EMAIL, PASSWORD).await.tokens(201, "Successfully registered.");
    let other_device = app.login(EMAIL, PASSWORD).await.token(200, "Successfully logged in.");
    let stranger = app.register("ann@gmail.com", PASSWORD).await.token(201, "Successfully registered.");

    for id in [sid(&stranger), "not-a-uuid".to_owned(), uuid::Uuid::new_v4().to_string(), sid(&mine).to_uppercase()] {
        app.end_session(&other_device, &id).await.assert_fail(404, "Session not found.");
    }
    assert!(app.db.sessions().iter().all(|s| s.live()), "a 404 changed nothing");
    app.end_session(&other_device, &sid(&mine))
        .await
        .assert(200, json!({"status": "success", "message": "Session ended."}));
    assert_eq!(app.db.session(&sid(&mine)).end_reason.as_deref(), Some("revoked"));
    app.status(&mine).await.assert_fail(401, BLACKLISTED);
    app.refresh(&mine_refresh).await.assert_fail(401, INVALID_REFRESH);
    app.end_session(&other_device, &sid(&mine)).await.assert_fail(404, "Session not found.");
    assert_eq!(app.status(&stranger).await.status, 200);
    app.call(TestRequest::delete().uri(&format!("/auth/sessions/{}", sid(&mine))))
        .await
        .assert_fail(401, "Provide a valid auth token.");
}

async fn logout_ends_its_session_or_others_or_all(backend: Backend) {
    let clock = clock();
    let app = app(backend, &clock);
    let a = app.register(EMAIL, PASSWORD).await.tokens(201, "Successfully registered.");
    let b = app.login(EMAIL, PASSWORD).await.tokens(200, "Successfully logged in.");
    let c = app.login(EMAIL, PASSWORD).await.tokens(200, "Successfully logged in.");
    let live = |app: &TestApp, tokens: &[&(String, String)]| {
        tokens.iter().map(|t| app.db.session(&sid(&t.0)).live()).collect::<Vec<_>>()
    };

    app.logout_scope(&a.0, "everything").await.assert_fail(400, "Invalid scope.");
    // given twice, even when both are valid: which one was meant is a guess
    app.logout_scope(&a.0, "local&scope=global").await.assert_fail(400, "Invalid scope.");
    app.logout_scope(&a.0, "global&scope=global").await.assert_fail(400, "Invalid scope.");
    assert_eq!(live(&app, &[&a, &b, &c]), [true, true, true]);
    assert!(app.db.revocations().is_empty());

    // others ("sign out my other devices"): a and c end; b, its access token and its refresh token go on
    app.logout_scope(&b.0, "others")
        .await
        .assert(200, json!({"status": "success", "message": "Successfully logged out."}));
    assert_eq!(live(&app, &[&a, &b, &c]), [false, true, false]);
    let flagged = [&a, &b, &c].map(|t| app.db.session(&sid(&t.0)).tokens_revoked);
    assert_eq!(flagged, [false, false, false], "nothing of b's is revoked");
    assert!(app.db.revocations().is_empty());
    assert_eq!(app.status(&b.0).await.status, 200, "the caller stays signed in");
    app.logout_scope(&b.0, "others")
        .await
        .assert(200, json!({"status": "success", "message": "Successfully logged out."}));
    app.status(&a.0).await.assert_fail(401, BLACKLISTED);
    app.status(&c.0).await.assert_fail(401, BLACKLISTED);
    let b_access = app.refresh(&b.1).await.token(200, "Successfully refreshed.");
    app.refresh(&a.1).await.assert_fail(401, INVALID_REFRESH);

    // local (the default): this one
    let d = app.login(EMAIL, PASSWORD).await.tokens(200, "Successfully logged in.");
    app.logout(&d.0).await.assert(200, json!({"status": "success", "message": "Successfully logged out."}));
    assert_eq!(live(&app, &[&a, &b, &c, &d]), [false, true, false, false]);
    app.refresh(&d.1).await.assert_fail(401, INVALID_REFRESH);
    assert_eq!(app.status(&b_access).await.status, 200);

    // global: every one, this one included
    let e = app.login(EMAIL, PASSWORD).await.tokens(200, "Successfully logged in.");
    app.logout_scope(&e.0, "global")
        .await
        .assert(200, json!({"status": "success", "message": "Successfully logged out."}));
    assert!(app.db.sessions().iter().all(|s| !s.live()));
    app.status(&b_access).await.assert_fail(401, BLACKLISTED);
    app.logout_scope(&e.0, "global").await.assert_fail(401, BLACKLISTED);
    // d's and e's: `others` revoked nothing
    assert_eq!(app.db.revocations().iter().map(|r| r.jti.clone()).collect::<Vec<_>>().len(), 2);
    let mut revoked: Vec<String> = app.db.revocations().into_iter().map(|r| r.jti).collect();
    revoked.sort();
    let mut expected = vec![jti(&d.0), jti(&e.0)];
    expected.sort();
    assert_eq!(revoked, expected);
}

async fn a_password_change_ends_every_other_session(backend: Backend) {
    let clock = clock();
    let app = app(backend, &clock);
    let (mine, mine_refresh) = app.register(EMAIL, PASSWORD).await.tokens(201, "Successfully registered.");
    let (other, other_refresh) = app.login(EMAIL, PASSWORD).await.tokens(200, "Successfully logged in.");
    let hash_before = app.db.users()[0].password.clone();

    app.change_password(&mine, "wrong-one", "n3w-password").await.assert_fail(403, "Current password is incorrect.");
    app.change_password(&mine, PASSWORD, "123").await.assert_fail(400, "Password must be at least 6 characters.");
    app.change_password(&mine, PASSWORD, &"x".repeat(129))
        .await
        .assert_fail(400, "Password must be at most 128 characters.");
    app.with_token(TestRequest::post().uri("/auth/password").set_json(json!({"current_password": PASSWORD})), &mine)
        .await
        .assert_fail(400, "The new_password field is required.");
    app.call(
        TestRequest::post()
            .uri("/auth/password")
            .set_json(json!({"current_password": PASSWORD, "new_password": "n3w-password"})),
    )
    .await
    .assert_fail(401, "Provide a valid auth token.");
    assert_eq!(app.db.users()[0].password, hash_before, "nothing changed");
    assert!(app.db.sessions().iter().all(|s| s.live()));

    app.change_password(&mine, PASSWORD, "n3w-password")
        .await
        .assert(200, json!({"status": "success", "message": "Password changed."}));
    assert_ne!(app.db.users()[0].password, hash_before);
    assert!(app.db.session(&sid(&mine)).live());
    assert_eq!(app.db.session(&sid(&other)).end_reason.as_deref(), Some("password_changed"));
    assert_eq!(app.status(&mine).await.status, 200);
    app.refresh(&mine_refresh).await.tokens(200, "Successfully refreshed.");
    app.status(&other).await.assert_fail(401, BLACKLISTED);
    app.refresh(&other_refresh).await.assert_fail(401, INVALID_REFRESH);
    app.login(EMAIL, PASSWORD).await.assert_fail(404, "User does not exist.");
    app.login(EMAIL, "n3w-password").await.token(200, "Successfully logged in.");
}

async fn a_new_session_beyond_the_bound_ends_the_least_recently_active(backend: Backend) {
    let clock = clock();
    let app = TestApp::with_clock(backend, &[("APP__SESSIONS__MAX_PER_USER", "3")], clock.clone());
    let (first, first_refresh) = app.register(EMAIL, PASSWORD).await.tokens(201, "Successfully registered.");
    let mut later = Vec::new();
    for _ in 0..2 {
        clock.advance(TimeDelta::seconds(10));
        later.push(app.login(EMAIL, PASSWORD).await.tokens(200, "Successfully logged in."));
    }
    // the first session is refreshed, so the second is now the least recently active
    clock.advance(TimeDelta::seconds(10));
    let (first_again, _) = app.refresh(&first_refresh).await.tokens(200, "Successfully refreshed.");
    clock.advance(TimeDelta::seconds(10));
    let newest = app.login(EMAIL, PASSWORD).await.token(200, "Successfully logged in.");
    let sessions = app.db.sessions();
    assert_eq!(sessions.iter().filter(|s| s.live()).count(), 3);
    assert_eq!(sessions[1].end_reason.as_deref(), Some("evicted"));
    app.status(&later[0].0).await.assert_fail(401, BLACKLISTED);
    for token in [&first_again, &later[1].0, &newest] {
        assert_eq!(app.status(token).await.status, 200);
    }
    // the first session's access token from before its refresh is still of a live session
    assert_eq!(app.status(&first).await.status, 200);
}

async fn tokens_without_a_session_work_and_tokens_of_a_missing_session_do_not(backend: Backend) {
    let clock = clock();
    let app = app(backend, &clock);
    let token = app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    let user_id = app.db.users()[0].id;
    // issued before sessions: no `sid`; it works, and its logout revokes it by its jti
    let legacy = app.token_issued_at(user_id, auth_domain::Clock::now(clock.as_ref()));
    assert!(claims_of(&legacy).get("sid").is_none());
    assert_eq!(app.status(&legacy).await.status, 200);
    app.logout(&legacy).await.assert(200, json!({"status": "success", "message": "Successfully logged out."}));
    app.status(&legacy).await.assert_fail(401, BLACKLISTED);
    assert_eq!(app.db.revocations().len(), 1);
    assert!(app.db.sessions()[0].live(), "a legacy logout ends no session");
    // a database restored from before this session: its token must not speak for this user
    app.db.execute("DELETE FROM sessions");
    app.status(&token).await.assert_fail(401, "Invalid token. Please log in again.");
    app.logout(&token).await.assert_fail(401, "Invalid token. Please log in again.");
    assert_eq!(app.db.revocations().len(), 1);
}

on_both_backends!(async
    register_and_login_start_sessions,
    a_refresh_rotates_and_the_consumed_token_gets_the_same_answer_within_the_grace,
    reuse_after_the_grace_ends_the_session_and_its_access_tokens,
    twenty_concurrent_refreshes_all_get_the_one_new_token,
    a_reuse_racing_a_rotation_ends_the_session,
    access_tokens_die_with_a_session_past_its_lifetime,
    a_bad_refresh_request_is_refused_and_changes_nothing,
    refresh_tokens_expire_when_idle_and_sessions_at_their_lifetime,
    the_session_list_shows_live_sessions_newest_first,
    ending_a_session_refuses_its_tokens_and_only_the_owner_can,
    logout_ends_its_session_or_others_or_all,
    a_password_change_ends_every_other_session,
    a_new_session_beyond_the_bound_ends_the_least_recently_active,
    tokens_without_a_session_work_and_tokens_of_a_missing_session_do_not,
);
