use crate::helpers::{EMAIL, PASSWORD, TestApp};
use auth_testkit::{Backend, on_both_backends};
use futures_util::future::join_all;
use std::time::{Duration, Instant};

async fn parallel_registrations_of_one_email_make_one_user(backend: Backend) {
    // 50 registrations from one client: the per-client limit is off, so the email's race decides
    let vars = [("APP__ABUSE__REGISTER_PER_IP_PER_HOUR", "0")];
    let app = TestApp::with_clock(backend, &vars, std::sync::Arc::new(auth_domain::SystemClock));
    let replies = join_all((0..50).map(|_| app.register(EMAIL, PASSWORD))).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let existing = replies.iter().filter(|r| r.status == 202).count();
    assert_eq!((created, existing), (1, 49), "{replies:?}");
    for reply in replies.iter().filter(|r| r.status == 202) {
        reply.assert_fail(202, "User already exists. Please Log in.");
    }
    assert_eq!(app.db.users().len(), 1);
}

async fn parallel_registrations_from_one_client_stop_exactly_at_the_limit(backend: Backend) {
    let app = TestApp::new(backend);
    let emails: Vec<String> = (0..30).map(|n| format!("user{n}@example.com")).collect();
    let replies = join_all(emails.iter().map(|email| app.register(email, PASSWORD))).await;
    let mut statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [[201; 20].as_slice(), [429; 10].as_slice()].concat());
    assert_eq!(app.db.users().len(), 20);
}

async fn parallel_logouts_of_one_token_succeed_once(backend: Backend) {
    let app = TestApp::new(backend);
    let token = app.registered_user().await;
    let replies = join_all((0..50).map(|_| app.logout(&token))).await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(ok, 1, "{replies:?}");
    for reply in replies.iter().filter(|r| r.status != 200) {
        reply.assert_fail(401, "Token blacklisted. Please log in again.");
    }
    assert_eq!(app.db.revocations().len(), 1);
}

async fn no_status_succeeds_once_logout_has_answered(backend: Backend) {
    let app = &TestApp::new(backend);
    app.registered_user().await;
    for _ in 0..5 {
        let token = app.login(EMAIL, PASSWORD).await.token(200, "Successfully logged in.");
        let token = token.as_str();
        let logout = async {
            let reply = app.logout(token).await;
            (reply, Instant::now())
        };
        // status requests spread over 60 ms, racing the logout
        let statuses = join_all((0..30u64).map(|i| async move {
            actix_web::rt::time::sleep(Duration::from_millis(i * 2)).await;
            let started = Instant::now();
            (started, app.status(token).await)
        }));
        let ((logout_reply, logged_out_at), statuses) = futures_util::future::join(logout, statuses).await;
        logout_reply.assert(200, serde_json::json!({"status": "success", "message": "Successfully logged out."}));
        for (started, reply) in statuses {
            if started > logged_out_at {
                reply.assert_fail(401, "Token blacklisted. Please log in again.");
            } else {
                assert!(reply.status == 200 || reply.status == 401, "{reply:?}");
            }
        }
        // However the race above fell out on a busy machine, these surely start after the logout answered.
        for _ in 0..3 {
            app.status(token).await.assert_fail(401, "Token blacklisted. Please log in again.");
        }
    }
}

/// Concurrent status requests share token checks (the api's lanes batch them): each still gets its own
/// token's answer, in a crowd of valid, revoked, garbage and other users' tokens.
async fn concurrent_status_checks_each_get_their_own_answer(backend: Backend) {
    let app = TestApp::new(backend);
    let joe = app.registered_user().await;
    let ann = app.register("ann@gmail.com", PASSWORD).await.token(201, "Successfully registered.");
    let revoked = app.login(EMAIL, PASSWORD).await.token(200, "Successfully logged in.");
    app.logout(&revoked)
        .await
        .assert(200, serde_json::json!({"status": "success", "message": "Successfully logged out."}));
    let tokens: Vec<&str> =
        (0..120).map(|i| [joe.as_str(), ann.as_str(), revoked.as_str(), "not.a.token"][i % 4]).collect();
    let replies = join_all(tokens.iter().map(|t| app.status(t))).await;
    for (i, reply) in replies.iter().enumerate() {
        match i % 4 {
            0 | 1 => {
                assert_eq!(reply.status, 200, "{reply:?}");
                let email = if i % 4 == 0 { EMAIL } else { "ann@gmail.com" };
                assert_eq!(reply.body["data"]["email"], email, "{reply:?}");
            }
            2 => reply.assert_fail(401, "Token blacklisted. Please log in again."),
            _ => reply.assert_fail(401, "Invalid token. Please log in again."),
        }
    }
    assert_eq!(app.db.revocations().len(), 1, "status changes nothing");
}

/// Logins at once share bcrypt batches (four side by side per core): each must get its own answer.
/// Every user's right password and every user's wrong one (the next user's) go in together.
async fn concurrent_logins_each_get_their_own_answer(backend: Backend) {
    let app = TestApp::new(backend);
    let users: Vec<(String, String)> =
        (0..8).map(|n| (format!("user{n}@example.com"), format!("password-of-user-{n}"))).collect();
    let registered = join_all(users.iter().map(|(email, password)| app.register(email, password))).await;
    for reply in &registered {
        reply.token(201, "Successfully registered.");
    }
    let attempts = users.iter().enumerate().flat_map(|(n, (email, password))| {
        let wrong = &users[(n + 1) % users.len()].1;
        [(email, password, true), (email, wrong, false)]
    });
    let replies = join_all(attempts.clone().map(|(email, password, _)| app.login(email, password))).await;
    for ((email, _, right), reply) in attempts.zip(&replies) {
        if right {
            let token = reply.token(200, "Successfully logged in.");
            let status = app.status(&token).await;
            assert_eq!(status.status, 200, "{status:?}");
            assert_eq!(status.body["data"]["email"], email.as_str());
        } else {
            reply.assert_fail(404, "User does not exist.");
        }
    }
    // a session per registration and per right password, each the user's own
    let sessions = app.db.sessions();
    for user in app.db.users() {
        assert_eq!(sessions.iter().filter(|s| s.user_id == user.id).count(), 2, "{}", user.email);
    }
    assert_eq!(sessions.len(), 16);
    // every hash went through the engine (the start-up's dummy hash too), and some shared a batch
    let batches = app.service().bcrypt_batches();
    assert_eq!(batches.iter().zip(1..).map(|(n, size)| n * size).sum::<u64>(), 1 + 8 + 16, "{batches:?}");
    assert!(batches[1..].iter().sum::<u64>() > 0, "no batch held more than one hash: {batches:?}");
}

on_both_backends!(async
    concurrent_logins_each_get_their_own_answer,
    concurrent_status_checks_each_get_their_own_answer,
    parallel_registrations_from_one_client_stop_exactly_at_the_limit,
    parallel_registrations_of_one_email_make_one_user,
    parallel_logouts_of_one_token_succeed_once,
    no_status_succeeds_once_logout_has_answered,
);
