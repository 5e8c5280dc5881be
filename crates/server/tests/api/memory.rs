//! Memory stays flat under steady traffic when nobody scrapes `/metrics`: the recorder's histogram
//! buffers are drained on a timer, not only by a scrape (they grew by 16–20 bytes a request before).
//! A process of its own, so that its memory is the server's alone.

use crate::common::Served;
use auth_testkit::TestDatabase;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// `count` GETs of `/health/live` over one kept-alive connection.
fn requests(port: u16, count: usize) {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    for _ in 0..count {
        writer.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
    }
}

/// `count` requests from four clients at once.
fn flood(port: u16, count: usize) {
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(move || requests(port, count / 4));
        }
    });
}

#[test]
fn memory_stays_flat_when_nobody_scrapes_the_metrics() {
    let db = TestDatabase::sqlite();
    let served = Served::start(db.url(), &[], Stdio::null());
    // the buffers, the connections' and the allocator's caches reach their size
    flood(served.port, 40_000);
    let before = rss_kib(served.child.id());
    flood(served.port, 160_000);
    let grown = rss_kib(served.child.id()).saturating_sub(before);
    // Without the upkeep, 160,000 requests' samples (two histograms' worth) would be about 3 MiB.
    assert!(grown < 1024, "RSS grew by {grown} KiB over 160,000 requests");
}
