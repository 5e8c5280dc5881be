//! The account's life by email, over real SMTP: the service sends to an SMTP server in this process
//! (`auth_testkit::SmtpServer`), and each test reads back what arrived and what the database holds.

use crate::helpers::{EMAIL, PASSWORD, TestApp};
use actix_web::test::TestRequest;
use auth_testkit::{Backend, Mailbox, ReceivedMail, SmtpServer, TestDatabase, on_both_backends};
use serde_json::json;
use sha2::Digest;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(15);

/// A service that mails to an SMTP server of its own, its sender running.
struct Mailing {
    app: TestApp,
    smtp: SmtpServer,
    sender: actix_web::rt::task::JoinHandle<()>,
}

impl Drop for Mailing {
    fn drop(&mut self) {
        self.sender.abort();
    }
}

fn mailing(backend: Backend, vars: &[(&str, &str)]) -> Mailing {
    let smtp = SmtpServer::start();
    let app = TestApp::with_email(backend, &smtp.url(), vars);
    let sender = app.start_outbox_sender();
    Mailing { app, smtp, sender }
}

/// Waits (off the executor the sender runs on) until `count` emails have arrived.
async fn arrived(mailbox: Mailbox, count: usize) -> Vec<ReceivedMail> {
    crate::common::blocking(move || mailbox.wait_for(count, WAIT)).await
}

/// Waits until `count` outbox rows are marked sent (an email arrives a moment before its row says so).
async fn sent(app: &TestApp, count: usize) -> Vec<auth_testkit::StoredMail> {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let rows = app.db.mails();
        if rows.iter().filter(|r| r.state == "sent").count() >= count {
            return rows;
        }
        assert!(std::time::Instant::now() < deadline, "{count} rows not sent: {rows:?}");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

fn sha256_hex(text: &str) -> String {
    sha2::Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

async fn verify(app: &TestApp, token: &str) -> crate::helpers::Reply {
    app.post_json("/auth/verify", json!({ "token": token })).await
}

async fn forgot(app: &TestApp, email: &str) -> crate::helpers::Reply {
    app.post_json("/auth/password/forgot", json!({ "email": email })).await
}

async fn reset(app: &TestApp, token: &str, password: &str) -> crate::helpers::Reply {
    app.post_json("/auth/password/reset", json!({ "token": token, "new_password": password })).await
}

async fn change_email(app: &TestApp, token: &str, new_email: &str, password: &str) -> crate::helpers::Reply {
    let body = json!({ "new_email": new_email, "current_password": password });
    app.with_token(TestRequest::post().uri("/auth/email").set_json(body), token).await
}

async fn delete_account(app: &TestApp, token: &str, password: &str) -> crate::helpers::Reply {
    let body = json!({ "current_password": password });
    app.with_token(TestRequest::delete().uri("/auth/account").set_json(body), token).await
}

const RESET_SENT: &str = "If that address has an account, a reset link is on its way.";

/// Registration sends a verification email (text and HTML, the link to the page); the link verifies the
/// address once; the database holds only the token's hash, and the outbox row drops its sealed link once
/// sent.
async fn registration_sends_a_link_that_verifies_the_address_once(backend: Backend) {
    let m = mailing(backend, &[]);
    let token = m.app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    let mail = arrived(m.smtp.mailbox(), 1).await.remove(0);
    assert_eq!(mail.to, [EMAIL]);
    assert_eq!(mail.from, "no-reply@example.com");
    assert_eq!(mail.subject, "Verify your email address for auth-service");
    let link = mail.link().unwrap();
    let link_token = mail.token().unwrap();
    assert_eq!(link, format!("https://auth.example.test/auth/verify?token={link_token}"));
    assert_eq!(link_token.len(), 43);
    assert!(mail.text.contains("24 hours") && mail.text.contains(EMAIL), "{}", mail.text);
    assert!(mail.html.contains("<a href=\"https:&#x2f;&#x2f;auth.example.test&#x2f;auth&#x2f;verify?token="));
    assert!(mail.html.contains(&link_token), "{}", mail.html);
    assert!(mail.raw.contains("multipart/alternative"), "{}", mail.raw);

    // stored: the hash, never the token; the outbox row is sent and holds no link any more
    let links = m.app.db.links();
    assert_eq!(links.len(), 1);
    assert_eq!((links[0].token_hash.as_str(), links[0].kind.as_str()), (sha256_hex(&link_token).as_str(), "verify"));
    assert_eq!((links[0].user_id, links[0].used_at), (Some(1), None));
    let mails = sent(&m.app, 1).await;
    assert_eq!(mails.len(), 1);
    assert_eq!((mails[0].kind.as_str(), mails[0].state.as_str(), mails[0].attempts), ("verify_email", "sent", 1));
    assert_eq!(mails[0].sealed_link, None);
    assert!(!m.app.db.dump().contains(&link_token), "the token is nowhere in the database");

    assert_eq!(m.app.status(&token).await.body["data"]["email_verified"], false);
    // opening the page changes nothing (mail scanners fetch links)
    let (status, page) = m.app.raw(TestRequest::get().uri(&format!("/auth/verify?token={link_token}"))).await;
    assert!(status == 200 && page.contains(&link_token), "{status}");
    assert_eq!(m.app.db.links()[0].used_at, None);

    verify(&m.app, &link_token).await.assert(200, json!({"status": "success", "message": "Email verified."}));
    verify(&m.app, &link_token).await.assert_fail(400, "Invalid or expired link.");
    verify(&m.app, "not-a-token").await.assert_fail(400, "Invalid or expired link.");
    assert_eq!(m.app.status(&token).await.body["data"]["email_verified"], true);
    assert!(m.app.db.users()[0].email_verified_at.is_some());
    assert!(m.app.db.links()[0].used_at.is_some());
    assert_eq!(m.app.db.event_kinds().iter().filter(|(k, _)| k == "email_verified").count(), 1);
    let resend = m.app.with_token(TestRequest::post().uri("/auth/verify/resend"), &token).await;
    resend.assert(200, json!({"status": "success", "message": "Email already verified."}));
}

/// A verification link asked for again voids the older one.
async fn a_new_verification_link_voids_the_older_one(backend: Backend) {
    let m = mailing(backend, &[]);
    let token = m.app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    let first = arrived(m.smtp.mailbox(), 1).await[0].token().unwrap();
    let resend = m.app.with_token(TestRequest::post().uri("/auth/verify/resend"), &token).await;
    resend.assert(202, json!({"status": "success", "message": "Verification email sent."}));
    let second = arrived(m.smtp.mailbox(), 2).await[1].token().unwrap();
    assert_ne!(first, second);
    let links = m.app.db.links();
    assert_eq!(links.iter().filter(|l| l.voided_at.is_some()).count(), 1, "{links:?}");
    verify(&m.app, &first).await.assert_fail(400, "Invalid or expired link.");
    verify(&m.app, &second).await.assert(200, json!({"status": "success", "message": "Email verified."}));
}

/// A forgotten password: the same answer for any address, a link only to an account's; the reset sets
/// the password, ends every session, verifies the address and sends a notice; a bad new password leaves
/// the link working; the link works once.
async fn a_reset_link_sets_a_new_password_and_ends_every_session(backend: Backend) {
    let m = mailing(backend, &[]);
    let (old_token, refresh) = m.app.register(EMAIL, PASSWORD).await.tokens(201, "Successfully registered.");
    arrived(m.smtp.mailbox(), 1).await;
    let accepted = json!({"status": "success", "message": RESET_SENT});
    forgot(&m.app, "nobody@example.com").await.assert(202, accepted.clone());
    forgot(&m.app, "JOE@gmail.com").await.assert(202, accepted);
    forgot(&m.app, "not an address").await.assert_fail(400, "Invalid email address.");
    let mails = arrived(m.smtp.mailbox(), 2).await;
    assert_eq!(mails.len(), 2);
    let mail = &mails[1];
    assert_eq!(
        (mail.to.as_slice(), mail.subject.as_str()),
        ([EMAIL.to_owned()].as_slice(), "Reset your auth-service password")
    );
    assert!(mail.text.contains("1 hour"), "{}", mail.text);
    let link_token = mail.token().unwrap();
    assert_eq!(mail.link().unwrap(), format!("https://auth.example.test/auth/reset?token={link_token}"));
    // the address without an account: the same rows, never sent
    let rows = m.app.db.mails();
    let nobody: Vec<_> = rows.iter().filter(|r| r.recipient == "nobody@example.com").collect();
    assert_eq!((nobody.len(), nobody[0].state.as_str(), nobody[0].sealed_link.as_deref()), (1, "no_account", None));
    let links = m.app.db.links();
    assert_eq!(links.iter().filter(|l| l.kind == "reset" && l.user_id.is_none()).count(), 1);

    reset(&m.app, &link_token, "1").await.assert_fail(400, "Password must be at least 6 characters.");
    reset(&m.app, "A".repeat(43).as_str(), "a-new-password").await.assert_fail(400, "Invalid or expired link.");
    reset(&m.app, &link_token, "a-new-password")
        .await
        .assert(200, json!({"status": "success", "message": "Password reset."}));
    reset(&m.app, &link_token, "another-password").await.assert_fail(400, "Invalid or expired link.");

    m.app.status(&old_token).await.assert_fail(401, "Token blacklisted. Please log in again.");
    m.app.refresh(&refresh).await.assert_fail(401, "Invalid refresh token. Please log in again.");
    m.app.login(EMAIL, PASSWORD).await.assert_fail(404, "User does not exist.");
    let new = m.app.login(EMAIL, "a-new-password").await.token(200, "Successfully logged in.");
    assert_eq!(m.app.status(&new).await.body["data"]["email_verified"], true, "the reset proved the address");
    let sessions = m.app.db.sessions();
    let reasons: Vec<Option<&str>> = sessions.iter().map(|s| s.end_reason.as_deref()).collect();
    assert_eq!(reasons.iter().filter(|r| **r == Some("password_reset")).count(), 1, "{reasons:?}");
    assert_eq!(reasons.iter().filter(|r| r.is_none()).count(), 1, "only the new login's lives: {reasons:?}");
    let notice = &arrived(m.smtp.mailbox(), 3).await[2];
    assert_eq!(
        (notice.to.as_slice(), notice.subject.as_str()),
        ([EMAIL.to_owned()].as_slice(), "Your auth-service password was reset")
    );
    assert_eq!(notice.link(), None);
    let kinds = m.app.db.event_kinds();
    for kind in ["password_reset_requested", "password_reset"] {
        assert!(kinds.iter().any(|(k, _)| k == kind), "{kind}: {kinds:?}");
    }
}

/// Past `email.max_per_address_per_hour` nothing more is queued for an address, whoever asks, and the
/// answer does not change; reset requests are also limited per client, with a 429.
async fn an_address_gets_at_most_its_hourly_cap_and_a_client_its_limit(backend: Backend) {
    let m =
        mailing(backend, &[("APP__EMAIL__MAX_PER_ADDRESS_PER_HOUR", "3"), ("APP__ABUSE__FORGOT_PER_IP_PER_HOUR", "5")]);
    m.app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    let accepted = json!({"status": "success", "message": RESET_SENT});
    for _ in 0..3 {
        forgot(&m.app, EMAIL).await.assert(202, accepted.clone());
    }
    // the registration's email and two resets make three: the third reset was capped
    let rows = m.app.db.mails();
    assert_eq!(rows.iter().filter(|r| r.recipient == EMAIL).count(), 3, "{rows:?}");
    assert_eq!(m.app.db.event_kinds().iter().find(|(k, _)| k == "mail_capped").map(|(_, n)| *n), Some(1));
    forgot(&m.app, "ann@example.com").await.assert(202, accepted.clone());
    forgot(&m.app, "bob@example.com").await.assert(202, accepted);
    let sixth = forgot(&m.app, "carl@example.com").await;
    sixth.assert_fail(429, "Too many attempts. Please try again later.");
    assert!(sixth.headers.get("retry-after").is_some());
    arrived(m.smtp.mailbox(), 3).await;
}

/// An email change: the link goes to the new address and a notice to the old; a taken address gets
/// nothing and the caller the same answer; the link moves the account and voids its older links.
async fn an_email_change_is_confirmed_from_the_new_address(backend: Backend) {
    let m = mailing(backend, &[]);
    let token = m.app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    m.app.register("ann@example.com", PASSWORD).await.token(201, "Successfully registered.");
    let verify_link = arrived(m.smtp.mailbox(), 2).await[0].token().unwrap();
    change_email(&m.app, &token, "joe.new@example.com", "wrong")
        .await
        .assert_fail(403, "Current password is incorrect.");
    change_email(&m.app, &token, "nope", PASSWORD).await.assert_fail(400, "Invalid email address.");
    let sent = json!({"status": "success", "message": "Confirmation sent to the new address."});
    // taken: the same answer, a notice to the old address only
    change_email(&m.app, &token, "ann@example.com", PASSWORD).await.assert(202, sent.clone());
    let notice = &arrived(m.smtp.mailbox(), 3).await[2];
    assert_eq!(notice.to, [EMAIL]);
    assert!(notice.text.contains("ann@example.com"), "{}", notice.text);
    change_email(&m.app, &token, "joe.new@example.com", PASSWORD).await.assert(202, sent);
    let mails = arrived(m.smtp.mailbox(), 5).await;
    let link_mail = mails[3..].iter().find(|mail| mail.to == ["joe.new@example.com"]).unwrap();
    assert_eq!(link_mail.subject, "Confirm your new email address for auth-service");
    assert!(mails[3..].iter().any(|mail| mail.to == [EMAIL]), "a notice to the old address");
    assert_eq!(
        m.smtp.received().iter().filter(|mail| mail.to == ["ann@example.com"]).count(),
        1,
        "ann got only her verification"
    );
    let link_token = link_mail.token().unwrap();
    assert_eq!(link_mail.link().unwrap(), format!("https://auth.example.test/auth/email/confirm?token={link_token}"));

    let confirm = |t: String| {
        let app = &m.app;
        async move { app.post_json("/auth/email/confirm", json!({ "token": t })).await }
    };
    confirm(link_token.clone()).await.assert(200, json!({"status": "success", "message": "Email changed."}));
    confirm(link_token).await.assert_fail(400, "Invalid or expired link.");
    let data = m.app.status(&token).await.body["data"].clone();
    assert_eq!((data["email"].as_str(), data["email_verified"].as_bool()), (Some("joe.new@example.com"), Some(true)));
    m.app.login("joe.new@example.com", PASSWORD).await.token(200, "Successfully logged in.");
    m.app.login(EMAIL, PASSWORD).await.assert_fail(404, "User does not exist.");
    // the verification link sent to the old address no longer acts on the account
    verify(&m.app, &verify_link).await.assert_fail(400, "Invalid or expired link.");
    assert!(m.app.db.event_kinds().iter().any(|(k, _)| k == "email_changed"));
}

/// An address taken between the request and the confirmation: 409, nothing changes.
async fn an_email_change_to_an_address_taken_meanwhile_is_a_conflict(backend: Backend) {
    let m = mailing(backend, &[]);
    let token = m.app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    change_email(&m.app, &token, "joe.new@example.com", PASSWORD)
        .await
        .assert(202, json!({"status": "success", "message": "Confirmation sent to the new address."}));
    let mails = arrived(m.smtp.mailbox(), 3).await;
    let link_token = mails.iter().find(|mail| mail.to == ["joe.new@example.com"]).unwrap().token().unwrap();
    m.app.register("joe.new@example.com", PASSWORD).await.token(201, "Successfully registered.");
    let reply = m.app.post_json("/auth/email/confirm", json!({ "token": link_token })).await;
    reply.assert_fail(409, "That address is already registered.");
    assert_eq!(m.app.db.users()[0].email, EMAIL);
    assert!(m.app.db.links().iter().all(|l| l.used_at.is_none()), "the link was not used up");
}

/// Deleting one's account: the password again; everything of the user goes but their events, which
/// lose the address; the address can register again.
async fn an_account_is_deleted_with_its_password(backend: Backend) {
    let m = mailing(backend, &[]);
    let token = m.app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    arrived(m.smtp.mailbox(), 1).await;
    m.app.login(EMAIL, "wrong").await.assert_fail(404, "User does not exist.");
    delete_account(&m.app, &token, "wrong").await.assert_fail(403, "Current password is incorrect.");
    delete_account(&m.app, &token, PASSWORD)
        .await
        .assert(200, json!({"status": "success", "message": "Account deleted."}));
    assert!(m.app.db.users().is_empty());
    assert!(m.app.db.sessions().is_empty() && m.app.db.links().is_empty());
    let counters = m.app.db.counters();
    assert!(counters.iter().all(|c| c.email.is_none() && !c.id.contains(EMAIL)), "{counters:?}");
    assert!(!m.app.db.dump_table("auth_events").iter().any(|row| row.contains(EMAIL)), "events keep no address");
    assert!(m.app.db.event_kinds().iter().any(|(k, _)| k == "account_deleted"));
    m.app.status(&token).await.assert_fail(401, "Invalid token. Please log in again.");
    m.app.login(EMAIL, PASSWORD).await.assert_fail(404, "User does not exist.");
    m.app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
}

/// With the mail server down a reset is still answered at once; the email arrives once it is back.
async fn an_email_queued_while_the_mail_server_is_down_arrives_when_it_is_back(backend: Backend) {
    let mut m = mailing(backend, &[]);
    m.app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    arrived(m.smtp.mailbox(), 1).await;
    m.smtp.stop();
    let started = std::time::Instant::now();
    forgot(&m.app, EMAIL).await.assert(202, json!({"status": "success", "message": RESET_SENT}));
    assert!(started.elapsed() < Duration::from_secs(2), "the request waited for the mail server");
    // the sender tries, fails, and schedules a retry
    let deadline = std::time::Instant::now() + WAIT;
    while m.app.db.mails().iter().all(|r| r.last_error.is_none()) {
        assert!(std::time::Instant::now() < deadline, "no attempt was made");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let row = m.app.db.mails().into_iter().find(|r| r.last_error.is_some()).unwrap();
    assert_eq!(row.state, "queued");
    assert!(row.sealed_link.is_some(), "the link waits, sealed");
    m.smtp.restart();
    let mails = arrived(m.smtp.mailbox(), 2).await;
    assert_eq!(mails[1].subject, "Reset your auth-service password");
    assert_eq!(sent(&m.app, 2).await.len(), 2);
}

/// Without a transport, what needs an email is refused, and registration still works.
async fn without_email_what_needs_one_answers_503(backend: Backend) {
    let app = TestApp::new(backend);
    let token = app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    assert!(app.db.mails().is_empty() && app.db.links().is_empty());
    forgot(&app, EMAIL).await.assert_fail(503, "Email is not configured.");
    app.with_token(TestRequest::post().uri("/auth/verify/resend"), &token)
        .await
        .assert_fail(503, "Email is not configured.");
    change_email(&app, &token, "joe.new@example.com", PASSWORD).await.assert_fail(503, "Email is not configured.");
    assert!(app.db.mails().is_empty());
}

/// `email.require_verification`: registration starts no session, the login waits for the link (and
/// says so only to someone with the password).
async fn required_verification_holds_the_login_back(backend: Backend) {
    let m = mailing(backend, &[("APP__EMAIL__REQUIRE_VERIFICATION", "true")]);
    m.app.register(EMAIL, PASSWORD).await.assert(
        201,
        json!({"status": "success", "message": "Successfully registered. Check your email to verify your address."}),
    );
    assert!(m.app.db.sessions().is_empty());
    m.app.login(EMAIL, "wrong").await.assert_fail(404, "User does not exist.");
    m.app.login(EMAIL, PASSWORD).await.assert_fail(403, "Email not verified.");
    let link = arrived(m.smtp.mailbox(), 1).await[0].token().unwrap();
    verify(&m.app, &link).await.assert(200, json!({"status": "success", "message": "Email verified."}));
    m.app.login(EMAIL, PASSWORD).await.token(200, "Successfully logged in.");
}

/// `auth-server outbox list` shows the rows (never a link) and `outbox retry` queues a given-up one again.
async fn the_outbox_is_listed_and_retried_from_the_command_line(backend: Backend) {
    // a mail server that is not there, and no sender: the rows stay queued
    let app = TestApp::with_email(backend, "smtp://127.0.0.1:1", &[]);
    app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    forgot(&app, EMAIL).await.assert(202, json!({"status": "success", "message": RESET_SENT}));
    let cli = |args: &'static [&'static str]| {
        let url = app.db.url().to_owned();
        async move {
            crate::common::blocking(move || {
                crate::common::auth_server("test", &url)
                    .env("APP__EMAIL__TRANSPORT", "smtp")
                    .env("APP__EMAIL__SMTP_URL", "smtp://127.0.0.1:1")
                    .args(args)
                    .output()
                    .unwrap()
            })
            .await
        }
    };
    let out = cli(&["outbox", "list"]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Vec<&str>> = listed.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(
        lines[0],
        ["id", "kind", "recipient", "state", "attempts", "created", "next attempt", "sent", "last error"]
    );
    assert_eq!(lines[1][..5], ["2", "password_reset_link", EMAIL, "queued", "0"]);
    assert_eq!(lines[2][..5], ["1", "verify_email", EMAIL, "queued", "0"]);
    assert!(!listed.contains("token"), "{listed}");

    app.db.execute("UPDATE outbox SET state = 'dead', last_error = 'SMTP: connection refused' WHERE id = 1");
    let dead = String::from_utf8(cli(&["outbox", "list", "--state", "dead"]).await.stdout).unwrap();
    assert_eq!(dead.lines().count(), 2, "{dead}");
    assert!(dead.lines().nth(1).unwrap().ends_with("\tSMTP: connection refused"), "{dead}");
    let out = cli(&["outbox", "retry", "1"]).await;
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "email 1 queued again; a running instance sends it within 5 seconds\n"
    );
    assert_eq!(app.db.mails()[0].state, "queued");
    let out = cli(&["outbox", "retry", "99"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no unsent email has the id 99"));
}

on_both_backends!(
    async registration_sends_a_link_that_verifies_the_address_once,
    the_outbox_is_listed_and_retried_from_the_command_line,
    a_new_verification_link_voids_the_older_one,
    a_reset_link_sets_a_new_password_and_ends_every_session,
    an_address_gets_at_most_its_hourly_cap_and_a_client_its_limit,
    an_email_change_is_confirmed_from_the_new_address,
    an_email_change_to_an_address_taken_meanwhile_is_a_conflict,
    an_account_is_deleted_with_its_password,
    an_email_queued_while_the_mail_server_is_down_arrives_when_it_is_back,
    without_email_what_needs_one_answers_503,
    required_verification_holds_the_login_back
);

/// Two instances on one PostgreSQL database, both sending: each email is sent exactly once.
#[actix_web::test]
async fn two_instances_send_each_email_exactly_once() {
    let smtp = SmtpServer::start();
    let first = TestApp::with_email(
        Backend::Postgres,
        &smtp.url(),
        &[("APP__EMAIL__MAX_PER_ADDRESS_PER_HOUR", "0"), ("APP__ABUSE__REGISTER_PER_IP_PER_HOUR", "0")],
    );
    let second = first.another_instance(std::sync::Arc::new(auth_domain::SystemClock));
    // queued while no sender runs: 30 verification emails
    for n in 0..30 {
        first.register(&format!("user{n}@example.com"), PASSWORD).await.token(201, "Successfully registered.");
    }
    assert_eq!(first.db.mails().iter().filter(|r| r.state == "queued").count(), 30);
    let senders = [first.start_outbox_sender(), second.start_outbox_sender()];
    let mails = arrived(smtp.mailbox(), 30).await;
    // a little longer: a second copy would come now
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    for sender in senders {
        sender.abort();
    }
    let mut recipients: Vec<String> = smtp.received().into_iter().flat_map(|mail| mail.to).collect();
    assert_eq!(mails.len(), 30);
    recipients.sort();
    recipients.dedup();
    assert_eq!((smtp.received().len(), recipients.len()), (30, 30));
    let rows = sent(&first, 30).await;
    assert!(rows.iter().all(|r| r.state == "sent" && r.attempts == 1), "{rows:?}");
}

/// The SMTP URL's credentials are used: a server that asks for them gets them, and refuses others.
#[actix_web::test]
async fn the_smtp_urls_credentials_are_presented() {
    let smtp = SmtpServer::start_with_credentials("mailer", "s3cret");
    let app = TestApp::with_email(Backend::Sqlite, &smtp.url(), &[]);
    let sender = app.start_outbox_sender();
    app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    assert_eq!(arrived(smtp.mailbox(), 1).await[0].to, [EMAIL]);
    sender.abort();

    let wrong = format!("smtp://mailer:wrong@127.0.0.1:{}", smtp.port());
    let app = TestApp::with_email(Backend::Sqlite, &wrong, &[]);
    let sender = app.start_outbox_sender();
    app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    let deadline = std::time::Instant::now() + WAIT;
    let row = loop {
        if let Some(row) = app.db.mails().into_iter().find(|r| r.last_error.is_some()) {
            break row;
        }
        assert!(std::time::Instant::now() < deadline, "no attempt was made");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    sender.abort();
    assert!(row.last_error.unwrap().contains("535"), "the server's refusal is recorded");
    assert!(!app.db.dump().contains("wrong@"), "the URL's password is stored nowhere");
    assert_eq!(smtp.received().len(), 1);
}

/// The pages links open: HTML that changes nothing, with a strict policy, no Referer and no caching.
#[actix_web::test]
async fn the_pages_are_strict_and_change_nothing() {
    let app = TestApp::new(Backend::Sqlite);
    for path in ["/auth/verify", "/auth/reset", "/auth/email/confirm"] {
        let token = "A".repeat(43);
        let request = || TestRequest::get().uri(&format!("{path}?token={token}"));
        let (status, headers) = app.head_of(request()).await;
        assert_eq!(status, 200, "{path}");
        let header = |name: &str| headers.get(name).unwrap().to_str().unwrap().to_owned();
        assert_eq!(header("content-type"), "text/html; charset=utf-8");
        assert_eq!(header("referrer-policy"), "no-referrer");
        assert_eq!(header("cache-control"), "no-store");
        let csp = header("content-security-policy");
        assert!(csp.starts_with("default-src 'none'; script-src 'sha256-"), "{csp}");
        assert!(csp.contains("connect-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
        let (status, html) = app.raw(request()).await;
        assert_eq!(status, 200);
        assert!(
            html.contains(&format!("value=\"{token}\"")) && !html.contains("http://") && !html.contains("https://")
        );
        let twice = format!("?token={token}&token={token}");
        for bad in ["", "?token=", "?token=short", "?token=%3Cscript%3E", twice.as_str()] {
            let (status, html) = app.raw(TestRequest::get().uri(&format!("{path}{bad}"))).await;
            assert!(
                status == 400 && html.contains("Invalid or expired link.") && !html.contains("<script>alert"),
                "{path}{bad}"
            );
        }
    }
    assert!(app.db.links().is_empty());
}

/// Development (`make run`): the email, link included, is written to the log, and the link works.
#[actix_web::test]
async fn in_development_the_link_is_in_the_log_and_works() {
    let db = TestDatabase::sqlite();
    let log = tempfile::NamedTempFile::new().unwrap();
    let served = crate::common::Served::start(
        db.url(),
        &[("APP__EMAIL__TRANSPORT", "log"), ("APP__LOG__LEVEL", "info"), ("APP__LOG__FORMAT", "json")],
        std::process::Stdio::from(log.reopen().unwrap()),
    );
    let port = served.port;
    let registered = crate::common::blocking(move || {
        crate::common::post_json(port, "/auth/register", &json!({"email": EMAIL, "password": PASSWORD}))
    })
    .await;
    assert_eq!(registered.status, 201);
    let deadline = std::time::Instant::now() + WAIT;
    let line = loop {
        let text = std::fs::read_to_string(log.path()).unwrap();
        if let Some(line) = text.lines().find(|l| l.contains("email written to the log")) {
            break line.to_owned();
        }
        assert!(std::time::Instant::now() < deadline, "no email in the log: {text}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    let entry: serde_json::Value = serde_json::from_str(&line).unwrap();
    let link = entry["link"].as_str().unwrap_or_else(|| panic!("{line}"));
    assert!(link.starts_with("http://127.0.0.1:8080/auth/verify?token="), "{link}");
    let token = link.split("?token=").nth(1).unwrap().to_owned();
    let verified =
        crate::common::blocking(move || crate::common::post_json(port, "/auth/verify", &json!({ "token": token })))
            .await;
    assert_eq!((verified.status, verified.json()["message"].clone()), (200, json!("Email verified.")));
}
