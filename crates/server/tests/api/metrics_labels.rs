//! Labels come from fixed sets: requests with 1,000 random method names leave `/metrics` the same size.
//! The server is a process of its own, so that no other test's requests change the page between the
//! two scrapes (the metrics recorder is one per process).

use std::io::{Read, Write};

/// `request` as sent (a method name `crate::common::http` would not write), and the raw reply.
fn raw_request(port: u16, request: Vec<u8>) -> String {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(&request).unwrap();
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    String::from_utf8_lossy(&reply).into_owned()
}

fn scrape(port: u16) -> String {
    let reply = raw_request(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec());
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let body = reply.split_once("\r\n\r\n").unwrap().1.to_owned();
    // Values change with every request; the series (a line each, without its value) must not.
    // The exporter writes the families in no fixed order.
    let mut series: Vec<&str> = body.lines().map(|l| l.rsplit_once(' ').map_or(l, |(series, _)| series)).collect();
    series.sort_unstable();
    series.join("\n")
}

fn random_method(seed: u64) -> String {
    // An HTTP token: letters only, 1 KiB, different for each request.
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'A' + (x % 26) as u8)
        })
        .collect()
}

#[test]
fn random_method_names_leave_metrics_the_same_size() {
    let db = auth_testkit::TestDatabase::sqlite();
    let served = crate::common::Served::start(db.url(), &[], std::process::Stdio::null());
    let port = served.port;

    let replies = {
        let send = |n: u64, path: &str| {
            let method = random_method(n);
            let request = format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            (method, raw_request(port, request.into_bytes()))
        };
        // One of each kind first, so that the OTHER series exist before the first scrape.
        let first = [send(0, "/auth/login"), send(1, "/no/such/path")];
        // The pruning at start-up adds its series when it is done: wait for it, and for one scrape's own.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !scrape(port).contains("auth_revocations_pruned_total") {
            assert!(std::time::Instant::now() < deadline, "the pruning at start-up never finished");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let before = scrape(port);
        let mut replies = Vec::new();
        for n in 2..1002 {
            replies.push(send(n, if n % 2 == 0 { "/auth/login" } else { "/no/such/path" }));
        }
        let after = scrape(port);
        (first, before, replies, after)
    };
    let (first, before, replies, after) = replies;

    for (method, reply) in first.iter().chain(&replies) {
        assert!(
            reply.starts_with("HTTP/1.1 405") || reply.starts_with("HTTP/1.1 404"),
            "{}",
            &reply[..reply.len().min(200)]
        );
        assert!(!after.contains(method.as_str()), "a method name became a label");
    }
    assert_eq!(before.len(), after.len(), "the page grew");
    assert_eq!(before, after, "the series changed");
    assert!(after.contains(r#"method="OTHER",route="/auth/login",status="405""#), "{after}");
    assert!(after.contains(r#"method="OTHER",route="unmatched",status="404""#), "{after}");
}
