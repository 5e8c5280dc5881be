//! The `auth-server` binary: its commands, exit codes and refusal of unsafe production settings.

use auth_testkit::TestDatabase;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn auth_server(environment: &str, database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_auth-server"));
    command
        .env_clear()
        .env("APP_CONFIG_DIR", PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config"))
        .env("APP_ENVIRONMENT", environment)
        .env("APP__DATABASE__URL", database_url)
        .stdin(Stdio::null());
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn run(command: &mut Command) -> Output {
    command.output().unwrap()
}

#[test]
fn help_lists_the_commands() {
    let out = run(Command::new(env!("CARGO_BIN_EXE_auth-server")).arg("--help"));
    assert!(out.status.success());
    let help = text(&out.stdout);
    for command in ["serve", "migrate", "tokens"] {
        assert!(help.contains(command), "{help}");
    }
    let out = run(Command::new(env!("CARGO_BIN_EXE_auth-server")).args(["tokens", "--help"]));
    assert!(text(&out.stdout).contains("prune"));
}

#[test]
fn an_unknown_command_fails() {
    let out = run(Command::new(env!("CARGO_BIN_EXE_auth-server")).arg("frobnicate"));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("frobnicate"));
}

#[test]
fn migrate_applies_the_migrations_once() {
    let db = TestDatabase::sqlite();
    let out = run(auth_server("test", db.url()).arg("migrate"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "applied 2 migration(s): 20261129000001, 20261129000002\n");
    let out = run(auth_server("test", db.url()).arg("migrate"));
    assert_eq!(text(&out.stdout), "applied 0 migration(s)\n");
    assert!(db.users().is_empty());
}

#[test]
fn tokens_prune_deletes_only_expired_revocations() {
    let db = TestDatabase::sqlite();
    assert!(run(auth_server("test", db.url()).arg("migrate")).status.success());
    db.execute(
        "INSERT INTO users (id, email, password, registered_on, admin) VALUES (1, 'joe@gmail.com', 'x', '2026-01-01 00:00:00', 0);
         INSERT INTO revoked_tokens VALUES ('expired', 1, '2026-01-01 00:00:00', '2026-01-01 01:00:00');
         INSERT INTO revoked_tokens VALUES ('live', 1, '2026-01-01 00:00:00', '2999-01-01 00:00:00');",
    );
    let out = run(auth_server("test", db.url()).args(["tokens", "prune"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "pruned 1 expired revocation(s)\n");
    let left: Vec<_> = db.revocations().into_iter().map(|r| r.jti).collect();
    assert_eq!(left, vec!["live".to_owned()]);
}

#[test]
fn production_refuses_to_start_with_the_shipped_secret() {
    let db = TestDatabase::sqlite();
    let out =
        run(auth_server("production", db.url())
            .env("APP__TOKENS__SECRET", "test-only-secret-test-only-secret-0123456789"));
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("shipped in config/") && stderr.contains("APP__TOKENS__SECRET"), "{stderr}");
    assert!(!stderr.contains("test-only-secret"), "the secret is never printed: {stderr}");
    assert!(db.sqlite_dir().unwrap().read_dir().unwrap().next().is_none(), "nothing was created");

    let out = run(&mut auth_server("production", db.url()));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("tokens.secret is not set"));
}

#[test]
fn a_database_error_is_reported_as_the_driver_gives_it() {
    let base = auth_testkit::postgres_base_url();
    let without_query = base.split('?').next().unwrap();
    let server = &without_query[..without_query.rfind('/').unwrap()];
    let url = format!("{server}/no_such_database_here");
    let out = run(auth_server("test", &url).arg("migrate"));
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains(r#"database "no_such_database_here" does not exist"#), "{stderr}");
}

#[test]
fn config_check_passes_good_settings() {
    let out = run(auth_server("test", "sqlite://unused.db").args(["config", "check"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "configuration ok (environment: test)\n");
}

#[test]
fn config_check_lists_every_problem() {
    let out = run(auth_server("production", "mysql://db/auth")
        .env("APP__TOKENS__SECRET", "short")
        .env("APP__TOKENS__LEEWAY_SECS", "3600")
        .args(["config", "check"]));
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    for expected in ["tokens.secret is 5 bytes", "tokens.leeway_secs is 3600", "database.url must start with"] {
        assert!(stderr.contains(expected), "{expected:?} missing from {stderr}");
    }
    assert!(out.stdout.is_empty());
}

#[test]
fn config_check_reports_an_unknown_key() {
    let out = run(auth_server("test", "sqlite://unused.db").env("APP__SERVER__PROT", "1").args(["config", "check"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("prot"), "{}", text(&out.stderr));
}

#[test]
fn an_unknown_environment_is_refused() {
    let out = run(&mut auth_server("staging", "sqlite://x.db"));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("staging"));
}

#[test]
fn serve_creates_the_sqlite_directory_and_answers() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("data/auth.db");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = auth_server("test", &format!("sqlite://{}", db_path.display()))
        .env("APP__SERVER__PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let reply = loop {
        if let Ok(reply) = http_get(port, "/auth/status") {
            break reply;
        }
        assert!(Instant::now() < deadline, "the server did not answer within 20 s");
        std::thread::sleep(Duration::from_millis(50));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(reply.starts_with("HTTP/1.1 401"), "{reply}");
    assert!(reply.ends_with(r#"{"status":"fail","message":"Provide a valid auth token."}"#), "{reply}");
    assert!(db_path.exists());
}

/// A bare HTTP/1.1 GET, enough to see that the binary serves.
fn http_get(port: u16, path: &str) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    Ok(reply)
}
