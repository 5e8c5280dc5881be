//! Writes that the database did not keep are errors, never successes, and readiness says so: SQLite on a
//! full filesystem, on files made immutable, and a database file deleted while it is open.
//!
//! These mount a small tmpfs, so they need root (CI runs as root). Without it they fail and say why:
//! set AUTH_TEST_NO_MOUNT=1 to leave them out knowingly.

use auth_domain::{Email, EventKind, NewEvent, NewUser, NotReady, PasswordHash, Readiness, StoreError, UserStore};
use auth_persistence::{DatabaseUrl, DieselStore, PoolSettings, run_migrations};
use chrono::{TimeZone, Utc};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A tmpfs of `size` mounted on a fresh temporary directory, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Self> {
        if std::env::var_os("AUTH_TEST_NO_MOUNT").is_some() {
            eprintln!("AUTH_TEST_NO_MOUNT is set: this durability test is left out");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("run mount");
        assert!(status.success(), "mounting a tmpfs needs root; run as root or set AUTH_TEST_NO_MOUNT=1");
        Some(Self { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        for file in std::fs::read_dir(self.path()).into_iter().flatten().flatten() {
            let _ = Command::new("chattr").arg("-i").arg(file.path()).stderr(std::process::Stdio::null()).status();
        }
        let _ = Command::new("umount").arg("-l").arg(self.path()).status();
    }
}

fn settings(path: &Path) -> PoolSettings {
    PoolSettings {
        url: DatabaseUrl::parse(&format!("sqlite://{}", path.display())).unwrap(),
        max_size: 4,
        acquire_timeout: Duration::from_secs(2),
        sqlite_busy_timeout_ms: 1000,
        statement_timeout_ms: 5000,
    }
}

fn open(path: &Path) -> DieselStore {
    let settings = settings(path);
    run_migrations(&settings).unwrap();
    DieselStore::open(&settings).unwrap()
}

/// An event to store with a change (its contents are the domain's business; stores keep them whole).
fn ev(kind: EventKind) -> NewEvent {
    NewEvent::system(kind, Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap())
}

fn new_user(n: usize) -> NewUser {
    NewUser {
        email: Email::parse(&format!("user{n}@example.com")).unwrap(),
        password_hash: PasswordHash::from_stored(format!("$2b$04${}", "x".repeat(53))),
        registered_on: Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap(),
        admin: false,
    }
}

/// The emails a separate connection (another process would see the same) finds in the file.
fn stored_emails(path: &Path) -> Vec<String> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        email: String,
    }
    let mut conn = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    diesel::sql_query("SELECT email FROM users ORDER BY id")
        .load::<Row>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|r| r.email)
        .collect()
}

fn chattr(flag: &str, files: &[PathBuf]) {
    let status = Command::new("chattr").arg(flag).args(files).status().expect("run chattr");
    assert!(status.success(), "chattr {flag} failed");
}

#[test]
fn on_a_full_filesystem_every_reported_insert_is_stored_and_the_rest_fail() {
    let Some(fs) = Tmpfs::mount("576k") else { return };
    let path = fs.path().join("auth.db");
    let store = open(&path);
    assert_eq!(store.check_ready(), Ok(()));

    let mut reported = Vec::new();
    let mut failures = 0;
    for n in 0..1500 {
        match store.insert_user(&new_user(n), None, &ev(EventKind::Register), None) {
            Ok(user) => reported.push(user.email.as_str().to_owned()),
            Err(auth_domain::InsertUserError::Store(StoreError::Query(_))) => failures += 1,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert!(failures > 0, "the 448 KiB filesystem never filled: {} inserts reported", reported.len());
    assert_eq!(stored_emails(&path), reported, "every insert reported as stored must be in the file");
    assert!(matches!(store.check_ready(), Err(NotReady::NotWritable(_))), "{:?}", store.check_ready());

    // Room again: the same store recovers without a restart.
    let status = Command::new("mount").args(["-o", "remount,size=4m"]).arg(fs.path()).status().unwrap();
    assert!(status.success());
    let user = store.insert_user(&new_user(99_999), None, &ev(EventKind::Register), None).unwrap();
    assert!(stored_emails(&path).contains(&user.email.as_str().to_owned()));
    assert_eq!(store.check_ready(), Ok(()));
}

#[test]
fn immutable_files_refuse_writes_and_readiness() {
    let Some(fs) = Tmpfs::mount("4m") else { return };
    let path = fs.path().join("auth.db");
    // Kept open so that the -wal and -shm files stay; its connections keep writing through the handles
    // they opened before the change (and what they write is stored).
    let earlier = open(&path);
    earlier.insert_user(&new_user(1), None, &ev(EventKind::Register), None).unwrap();
    let email = Email::parse("user1@example.com").unwrap();
    let files: Vec<PathBuf> =
        ["", "-wal", "-shm"].iter().map(|s| PathBuf::from(format!("{}{s}", path.display()))).collect();
    chattr("+i", &files);
    // A service started now opens files it cannot write.
    let store =
        DieselStore::open(&PoolSettings { acquire_timeout: Duration::from_millis(300), ..settings(&path) }).unwrap();

    for n in 2..22 {
        assert!(
            matches!(
                store.insert_user(&new_user(n), None, &ev(EventKind::Register), None),
                Err(auth_domain::InsertUserError::Store(_))
            ),
            "insert {n} reported success on an immutable file"
        );
    }
    assert!(store.set_admin(&email, true).is_err(), "set_admin reported success on an immutable file");
    assert!(matches!(store.check_ready(), Err(NotReady::NotWritable(_))), "{:?}", store.check_ready());

    chattr("-i", &files);
    assert_eq!(stored_emails(&path), vec!["user1@example.com".to_owned()]);
    drop(earlier);
    assert_eq!(store.check_ready(), Ok(()));
    assert!(store.set_admin(&email, true).unwrap().unwrap().admin);
}

#[test]
fn a_deleted_or_replaced_database_file_is_not_ready_and_never_recreated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auth.db");
    let store = open(&path);
    assert_eq!(store.check_ready(), Ok(()));

    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    assert!(matches!(store.check_ready(), Err(NotReady::FileReplaced(_))), "{:?}", store.check_ready());
    assert!(!path.exists(), "readiness must not create the file again");

    // Another file at the same path (a restore, a mistaken copy) is not the one this store opened.
    let other = open(&path);
    assert_eq!(other.check_ready(), Ok(()));
    assert!(matches!(store.check_ready(), Err(NotReady::FileReplaced(_))), "{:?}", store.check_ready());
}

#[test]
fn a_pooled_connection_never_creates_a_missing_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.db");
    let store =
        DieselStore::open(&PoolSettings { acquire_timeout: Duration::from_millis(300), ..settings(&path) }).unwrap();
    assert!(store.find_credentials_by_email(&Email::parse("a@example.com").unwrap()).is_err());
    assert!(!path.exists());
}
