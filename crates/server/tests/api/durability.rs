//! Over HTTP: a registration the database did not keep is a 503, never a 201 with a token; readiness
//! says the database cannot be written. SQLite on a 576 KiB tmpfs (mounting needs root, as in CI).

use crate::helpers::{TestApp, test_settings_with};
use actix_web::test::TestRequest;
use auth_testkit::TestDatabase;
use std::process::Command;

#[actix_web::test]
async fn on_a_full_disk_every_201_is_stored_and_the_rest_are_503() {
    if std::env::var_os("AUTH_TEST_NO_MOUNT").is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", "size=576k", "tmpfs"]).arg(dir.path()).status();
    assert!(mounted.unwrap().success(), "mounting a tmpfs needs root; set AUTH_TEST_NO_MOUNT=1 to leave this out");
    let db = TestDatabase::sqlite_at(&dir.path().join("auth.db"));
    // every registration comes from one client: its limit is off, so the disk decides
    let settings =
        test_settings_with(&[("APP__DATABASE__URL", db.url()), ("APP__ABUSE__REGISTER_PER_IP_PER_HOUR", "0")]);
    let app = TestApp::with_settings(TestDatabase::sqlite_at(&dir.path().join("auth.db")), settings);

    let mut created = Vec::new();
    let mut refused = 0;
    for n in 0..400 {
        let email = format!("user{n}@example.com");
        let reply = app.register(&email, "123456").await;
        match reply.status.as_u16() {
            201 => created.push(email),
            503 => {
                reply.assert_fail(503, "Service temporarily unavailable. Please try again.");
                refused += 1;
            }
            other => panic!("unexpected {other}: {reply:?}"),
        }
    }
    let stored: Vec<String> = db.users().into_iter().map(|u| u.email).collect();
    let ready = app.call(TestRequest::get().uri("/health/ready")).await;
    let _ = Command::new("umount").arg("-l").arg(dir.path()).status();
    assert!(refused > 0, "the filesystem never filled ({} registrations)", created.len());
    assert_eq!(stored, created, "every 201 must be a stored row, and no other row stored");
    ready.assert_fail(503, "Not ready: the database cannot be written.");
}
