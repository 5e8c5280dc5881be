//! The revocation feed: every ended session and revoked token as an entry (in-process, both backends),
//! the page and the stream over TCP, and the whole path in processes: two instances on one PostgreSQL
//! database, the example downstream service following the feed of one, logouts through the other.

use crate::common::{Running, Served, auth_server, http, post_json};
use crate::helpers::{EMAIL, PASSWORD, TestApp};
use actix_web::test::TestRequest;
use auth_testkit::{Backend, SmtpServer, TestDatabase, on_both_backends};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

async fn page(app: &TestApp, query: &str) -> Value {
    let (status, body) = app.raw(TestRequest::get().uri(&format!("/auth/revocations{query}"))).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn sid_of(token: &str) -> String {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["sid"].as_str().unwrap().to_owned()
}

fn jti_of(token: &str) -> String {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["jti"].as_str().unwrap().to_owned()
}

/// Each way a session ends, and a logout's token, is an entry: random ids and an expiry, nothing else.
async fn every_revocation_is_an_entry(backend: Backend) {
    let app = TestApp::new(backend);
    let t1 = app.register(EMAIL, PASSWORD).await.token(201, "Successfully registered.");
    let t2 = app.login(EMAIL, PASSWORD).await.token(200, "Successfully logged in.");
    let t3 = app.login(EMAIL, PASSWORD).await.token(200, "Successfully logged in.");
    let t4 = app.login(EMAIL, PASSWORD).await.token(200, "Successfully logged in.");
    app.publish_feed();
    assert_eq!(page(&app, "").await, json!({"entries": [], "next": 0}));

    app.logout_with_header(Some(&format!("Bearer {t1}")))
        .await
        .assert(200, json!({"status": "success", "message": "Successfully logged out."}));
    app.end_session(&t3, &sid_of(&t2)).await.assert(200, json!({"status": "success", "message": "Session ended."}));
    app.change_password(&t3, PASSWORD, "another-password")
        .await
        .assert(200, json!({"status": "success", "message": "Password changed."}));
    app.publish_feed();
    let all = page(&app, "?after=0").await;
    let entries = all["entries"].as_array().unwrap();
    let named: Vec<(String, String)> = entries
        .iter()
        .map(|e| match (e["sid"].as_str(), e["jti"].as_str()) {
            (Some(sid), None) => ("sid".to_owned(), sid.to_owned()),
            (None, Some(jti)) => ("jti".to_owned(), jti.to_owned()),
            other => panic!("{other:?} in {e}"),
        })
        .collect();
    let mut expected = vec![
        ("sid".to_owned(), sid_of(&t1)),
        ("jti".to_owned(), jti_of(&t1)),
        ("sid".to_owned(), sid_of(&t2)),
        ("sid".to_owned(), sid_of(&t4)),
    ];
    let mut got = named.clone();
    got.sort();
    expected.sort();
    assert_eq!(got, expected, "{all}");
    let ids: Vec<i64> = entries.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "cursor order: {ids:?}");
    assert_eq!(all["next"], *ids.last().unwrap());
    let now = chrono::Utc::now().timestamp();
    for entry in entries {
        let keys: Vec<&str> = entry.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 3, "only the id, the sid or jti, and until: {entry}");
        let until = entry["until"].as_i64().unwrap();
        assert!(until > now + 3500 && until < now + 3700, "about a token's lifetime: {entry}");
    }
    // pages: after a cursor, only what follows it
    let rest = page(&app, &format!("?after={}", ids[1])).await;
    assert_eq!(rest["entries"].as_array().unwrap().len(), 2);
    assert_eq!(page(&app, &format!("?after={}", ids[3])).await, json!({"entries": [], "next": ids[3]}));
    for bad in ["?after=-1", "?after=x", "?after=1&after=2", "?after=99999999999999999999"] {
        let reply = app.call(TestRequest::get().uri(&format!("/auth/revocations{bad}"))).await;
        reply.assert_fail(400, "Invalid cursor.");
    }

    // account deletion: the last live session (t3's)
    let body = json!({ "current_password": "another-password" });
    app.with_token(TestRequest::delete().uri("/auth/account").set_json(body), &t3)
        .await
        .assert(200, json!({"status": "success", "message": "Account deleted."}));
    app.publish_feed();
    let last = page(&app, &format!("?after={}", ids[3])).await;
    assert_eq!(last["entries"][0]["sid"], sid_of(&t3), "{last}");
    assert!(!app.db.dump_table("revocation_feed").iter().any(|row| row.contains(EMAIL)));
}

on_both_backends!(async every_revocation_is_an_entry);

/// An SSE client over TCP: reads events as they come.
struct Subscriber {
    reader: BufReader<TcpStream>,
    pub head: String,
}

impl Subscriber {
    fn connect(port: u16, headers: &[(&str, &str)]) -> Self {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut request = "GET /auth/revocations/stream HTTP/1.1\r\nHost: localhost\r\n".to_owned();
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        let mut reader = BufReader::new(stream);
        let mut head = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            head.push_str(&line);
        }
        Self { reader, head }
    }

    /// The next event (its `event:` name, or "message", and its data), skipping comments and chunk sizes.
    fn next_event(&mut self) -> (String, Value) {
        let (mut event, mut data) = ("message".to_owned(), String::new());
        loop {
            let mut line = String::new();
            assert!(self.reader.read_line(&mut line).unwrap() > 0, "the stream ended");
            let line = line.trim_end();
            if let Some(name) = line.strip_prefix("event: ") {
                event = name.to_owned();
            } else if let Some(value) = line.strip_prefix("data: ") {
                data = value.to_owned();
            } else if line.is_empty() && !data.is_empty() {
                return (event, serde_json::from_str(&data).unwrap());
            }
        }
    }
}

fn register_and_login(port: u16) -> (String, String) {
    let registered = post_json(port, "/auth/register", &json!({"email": EMAIL, "password": PASSWORD}));
    assert_eq!(registered.status, 201, "{registered:?}");
    let login = post_json(port, "/auth/login", &json!({"email": EMAIL, "password": PASSWORD}));
    (
        registered.json()["auth_token"].as_str().unwrap().to_owned(),
        login.json()["auth_token"].as_str().unwrap().to_owned(),
    )
}

fn logout(port: u16, token: &str) {
    let reply = http(port, "POST", "/auth/logout", &[("Authorization", &format!("Bearer {token}"))], "").unwrap();
    assert_eq!(reply.status, 200, "{reply:?}");
}

/// The stream: the backlog, then each entry as it is published; resumed from `Last-Event-ID`; `reset` for
/// a cursor behind what is kept; at most `revocations.max_subscribers`.
#[actix_web::test]
async fn the_stream_sends_the_backlog_then_each_entry_and_resumes() {
    let server =
        Running::start(&[("APP__REVOCATIONS__POLL_INTERVAL_MS", "20"), ("APP__REVOCATIONS__MAX_SUBSCRIBERS", "2")])
            .await;
    let port = server.port;
    crate::common::blocking(move || {
        let (first, second) = register_and_login(port);
        logout(port, &first);
        let mut subscriber = Subscriber::connect(port, &[]);
        assert!(subscriber.head.starts_with("HTTP/1.1 200"), "{}", subscriber.head);
        assert!(
            subscriber.head.to_ascii_lowercase().contains("content-type: text/event-stream"),
            "{}",
            subscriber.head
        );
        // the backlog: the first session and its token
        let backlog = [subscriber.next_event(), subscriber.next_event()];
        assert!(backlog.iter().any(|(_, e)| e["sid"] == sid_of(&first)), "{backlog:?}");
        assert!(backlog.iter().any(|(_, e)| e["jti"] == jti_of(&first)), "{backlog:?}");
        // live: the second logout arrives within a second
        let started = Instant::now();
        logout(port, &second);
        let live = [subscriber.next_event(), subscriber.next_event()];
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
        assert!(live.iter().any(|(_, e)| e["sid"] == sid_of(&second)), "{live:?}");
        let last_id = live.iter().map(|(_, e)| e["id"].as_i64().unwrap()).max().unwrap();

        // resumed after the first two: the other two again, nothing before
        let resumed_from = backlog.iter().map(|(_, e)| e["id"].as_i64().unwrap()).max().unwrap();
        let mut resumed = Subscriber::connect(port, &[("Last-Event-ID", &resumed_from.to_string())]);
        let ids: Vec<i64> = (0..2).map(|_| resumed.next_event().1["id"].as_i64().unwrap()).collect();
        assert!(ids.iter().all(|id| *id > resumed_from && *id <= last_id), "{ids:?}");
        // two subscribers are the bound here
        let refused = http(port, "GET", "/auth/revocations/stream", &[], "").unwrap();
        assert_eq!((refused.status, refused.json()["message"].clone()), (503, json!("Too many subscribers.")));
        drop(resumed);
        drop(subscriber);
    })
    .await;
    server.handle.stop(true).await;
}

/// A subscriber behind what is kept (its rows pruned) is told to start again.
#[actix_web::test]
async fn a_cursor_behind_what_is_kept_gets_a_reset() {
    let server = Running::start(&[("APP__REVOCATIONS__POLL_INTERVAL_MS", "20")]).await;
    let port = server.port;
    let db_url = server._db.url().to_owned();
    crate::common::blocking(move || {
        let (first, second) = register_and_login(port);
        logout(port, &first);
        logout(port, &second);
        // the oldest rows pruned (as if expired)
        let db = TestDatabase::sqlite_at(std::path::Path::new(db_url.trim_start_matches("sqlite://")));
        db.execute("DELETE FROM revocation_feed WHERE id <= 2");
        // the floor is read every 25 polls
        std::thread::sleep(Duration::from_millis(800));
        let mut subscriber = Subscriber::connect(port, &[("Last-Event-ID", "1")]);
        let (event, _) = subscriber.next_event();
        assert_eq!(event, "reset");
        let (_, entry) = subscriber.next_event();
        assert_eq!(entry["id"], 3, "then everything still kept");
    })
    .await;
    server.handle.stop(true).await;
}

struct Downstream {
    child: Child,
    port: u16,
}

impl Drop for Downstream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn example() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(|deps| deps.parent()).unwrap().join("examples").join("downstream")
}

fn downstream(jwks_port: u16, feed_port: u16) -> Downstream {
    let mut child = Command::new(example())
        .env("AUTH_JWKS_URL", format!("http://127.0.0.1:{jwks_port}/.well-known/jwks.json"))
        .env("AUTH_REVOCATIONS_URL", format!("http://127.0.0.1:{feed_port}/auth/revocations/stream"))
        .env("PORT", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let port = line.trim().rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("{line:?}"));
    Downstream { child, port }
}

fn hello(port: u16, token: &str) -> u16 {
    http(port, "GET", "/hello", &[("Authorization", &format!("Bearer {token}"))], "").unwrap().status
}

/// How long until the downstream service refuses `token` (panics past `limit`).
fn refused_within(port: u16, token: &str, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let status = hello(port, token);
        if status == 401 {
            let reply = http(port, "GET", "/hello", &[("Authorization", &format!("Bearer {token}"))], "").unwrap();
            assert_eq!(reply.json()["message"], "Token blacklisted. Please log in again.");
            return started.elapsed();
        }
        assert_eq!(status, 200);
        assert!(started.elapsed() < limit, "still accepted after {limit:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn serve_on(port: u16, db: &TestDatabase, vars: &[(&str, String)]) -> Served {
    let mut command = auth_server("test", db.url());
    command.env("APP__SERVER__PORT", port.to_string()).args(["serve", "--print-address"]);
    for (name, value) in vars {
        command.env(name, value);
    }
    Served::spawn(command.stdout(Stdio::piped()).stderr(Stdio::null()))
}

fn tokens(reply: &crate::common::Reply) -> (String, String) {
    let body = reply.json();
    (body["auth_token"].as_str().unwrap().to_owned(), body["refresh_token"].as_str().unwrap().to_owned())
}

/// Two instances on one PostgreSQL database; the downstream service verifies locally, following the
/// feed of instance B. A logout, a refresh token's reuse and a password reset through instance A are
/// refused downstream within a second; with B down meanwhile, the downstream service catches up when
/// it is back.
#[test]
fn a_revocation_through_one_instance_reaches_a_service_following_another() {
    let smtp = SmtpServer::start();
    let db = TestDatabase::postgres();
    let vars = vec![
        ("APP__EMAIL__TRANSPORT", "smtp".to_owned()),
        ("APP__EMAIL__SMTP_URL", smtp.url()),
        ("APP__EMAIL__PUBLIC_URL", "http://127.0.0.1:1".to_owned()),
        ("APP__SESSIONS__REFRESH_REUSE_GRACE_SECS", "0".to_owned()),
    ];
    let a = serve_on(free_port(), &db, &vars);
    let b_port = free_port();
    let mut b = serve_on(b_port, &db, &vars);
    let service = downstream(a.port, b_port);

    let registered = post_json(a.port, "/auth/register", &json!({"email": EMAIL, "password": PASSWORD}));
    let (first, _) = tokens(&registered);
    let login = || tokens(&post_json(a.port, "/auth/login", &json!({"email": EMAIL, "password": PASSWORD})));
    let (second, second_refresh) = login();
    let (third, _) = login();
    // the downstream service is following the feed once it accepts tokens and knows the keys
    let deadline = Instant::now() + Duration::from_secs(10);
    while hello(service.port, &first) != 200 {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));

    logout(a.port, &first);
    let took = refused_within(service.port, &first, Duration::from_secs(1));
    eprintln!("logout refused downstream after {took:?}");

    // the refresh token used twice: its session ends, and with it the access token
    let refresh = |token: &str| post_json(a.port, "/auth/refresh", &json!({ "refresh_token": token }));
    assert_eq!(refresh(&second_refresh).status, 200);
    assert_eq!(refresh(&second_refresh).status, 401);
    refused_within(service.port, &second, Duration::from_secs(1));

    // a password reset ends every session
    assert_eq!(post_json(a.port, "/auth/password/forgot", &json!({"email": EMAIL})).status, 202);
    let mail = smtp.mailbox().wait_for(2, Duration::from_secs(15)).pop().unwrap();
    let token = mail.token().unwrap();
    let reset = post_json(a.port, "/auth/password/reset", &json!({"token": token, "new_password": "a-new-one"}));
    assert_eq!(reset.status, 200, "{reset:?}");
    refused_within(service.port, &third, Duration::from_secs(1));

    // B goes away; a logout through A; B comes back on its port: the downstream service catches up
    let (fourth, _) = tokens(&post_json(a.port, "/auth/login", &json!({"email": EMAIL, "password": "a-new-one"})));
    assert_eq!(hello(service.port, &fourth), 200);
    drop(b);
    logout(a.port, &fourth);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(hello(service.port, &fourth), 200, "nobody told it yet");
    b = serve_on(b_port, &db, &vars);
    let took = refused_within(service.port, &fourth, Duration::from_secs(20));
    eprintln!("caught up after B came back in {took:?}");
    drop(b);
    drop(a);
}
