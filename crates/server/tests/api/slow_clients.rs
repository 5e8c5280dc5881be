//! Slow and vanished clients over real TCP: a body sent too slowly is a 408, a connection flood waits
//! in the listen queue instead of killing the listener, and a login whose client hung up is not hashed.

use crate::common::{Running, blocking};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

async fn start(extra: &[(&str, &str)]) -> Running {
    Running::start(extra).await
}

fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    stream
}

fn read_all(mut stream: TcpStream) -> String {
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    String::from_utf8_lossy(&reply).into_owned()
}

fn post(port: u16, path: &str, body: &str) -> String {
    let reply = crate::common::http(port, "POST", path, &[("Content-Type", "application/json")], body).unwrap();
    format!("{}\r\n\r\n{}", reply.head, reply.body)
}

/// A POST that announces 60,000 bytes and sends one.
fn slow_post(port: u16) -> TcpStream {
    let mut stream = connect(port);
    stream
        .write_all(
            b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{",
        )
        .unwrap();
    stream
}

fn counter(port: u16, name: &str) -> u64 {
    let page = crate::common::http(port, "GET", "/metrics", &[], "").unwrap().body;
    page.lines().find(|l| l.starts_with(name)).and_then(|l| l.rsplit(' ').next()).map_or(0, |v| v.parse().unwrap())
}

#[actix_web::test]
async fn a_body_that_does_not_arrive_in_time_is_a_408_and_the_connection_closes() {
    let server = start(&[("APP__SERVER__BODY_TIMEOUT_MS", "300")]).await;
    let port = server.port;
    let reply = blocking(move || read_all(slow_post(port))).await;
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert!(reply.to_ascii_lowercase().contains("connection: close"), "{reply}");
    assert!(reply.ends_with(r#"{"status":"fail","message":"Request body was not received in time."}"#), "{reply}");
    server.handle.stop(true).await;
}

#[actix_web::test]
async fn a_connection_flood_waits_its_turn_and_the_listener_keeps_serving() {
    let server = start(&[
        ("APP__SERVER__WORKERS", "1"),
        ("APP__SERVER__MAX_CONNECTIONS_PER_WORKER", "4"),
        ("APP__SERVER__BODY_TIMEOUT_MS", "500"),
    ])
    .await;
    let port = server.port;
    let (slow, health) = blocking(move || {
        let slow: Vec<TcpStream> = (0..4).map(|_| slow_post(port)).collect();
        // The fifth connection is accepted by the kernel, but served only when one of the four ends.
        let health = {
            let mut stream = connect(port);
            stream.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
            read_all(stream)
        };
        (slow.into_iter().map(read_all).collect::<Vec<_>>(), health)
    })
    .await;
    for reply in &slow {
        assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    }
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.ends_with(r#"{"status":"success","message":"alive"}"#), "{health}");
    server.handle.stop(true).await;
}

/// A process of its own: the hash counter is the process's, and no other test may move it meanwhile.
fn served(extra: &[(&str, &str)]) -> (crate::common::Served, auth_testkit::TestDatabase) {
    let db = auth_testkit::TestDatabase::sqlite();
    let served = crate::common::Served::start(db.url(), extra, std::process::Stdio::null());
    (served, db)
}

#[test]
fn logins_from_clients_that_hung_up_are_not_hashed() {
    // one client, one email: the attempt limits are off, so that hashing alone is measured
    let (server, _db) = served(&[
        ("APP__PASSWORD__BCRYPT_COST", "10"),
        ("APP__PASSWORD__MAX_CONCURRENT_HASHES", "1"),
        ("APP__ABUSE__LOGIN_PAIR_MAX_FAILURES", "0"),
        ("APP__ABUSE__LOGIN_EMAIL_MAX_FAILURES", "0"),
        ("APP__ABUSE__LOGIN_IP_MAX_FAILURES", "0"),
    ]);
    let port = server.port;
    let body = r#"{"email":"joe@gmail.com","password":"123456"}"#;
    let registered = post(port, "/auth/register", body);
    assert!(registered.starts_with("HTTP/1.1 201"), "{registered}");
    let runs = "auth_password_hash_runs_total";
    let before = counter(port, runs);
    for _ in 0..40 {
        let mut stream = connect(port);
        write!(
            stream,
            "POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        stream.shutdown(Shutdown::Both).unwrap();
    }
    let login = post(port, "/auth/login", body);
    let after_flood = counter(port, runs);
    assert!(login.starts_with("HTTP/1.1 200"), "{login}");
    // The real login hashed once; of the forty that hung up, at most the one that found the slot free
    // before the server saw it close may have started.
    let hashed = after_flood - before;
    assert!((1..=2).contains(&hashed), "{hashed} hashes ran for 40 abandoned logins and one real one");
}
