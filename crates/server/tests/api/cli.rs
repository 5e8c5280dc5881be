//! The `auth-server` binary: its commands, exit codes and refusal of unsafe production settings.

use crate::common::{Served, auth_server, http};
use auth_testkit::{Backend, TestDatabase, on_both_backends};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

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
    assert_eq!(
        text(&out.stdout),
        "applied 11 migration(s): 20261129000001, 20261129000002, 20261130000001, 20261130000002, 20261130000003, 20261130000004, 20261130000005, 20261130000006, 20261204000001, 20261205000001, 20261205000002\n"
    );
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
    assert_eq!(
        text(&out.stdout),
        "pruned 1 expired revocation(s), 0 ended or expired session(s), 0 attempt counter(s) and 0 event(s)\n"
    );
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

fn with_stdin(command: &mut Command, input: &str) -> Output {
    use std::io::Write;
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn user_commands_create_promote_and_delete() {
    let db = TestDatabase::sqlite();
    let out = with_stdin(
        auth_server("test", db.url()).args(["user", "create", "--email", "Root@Example.com", "--admin"]),
        "s3cret-pass\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "created user 1 (root@example.com), admin\n");
    let users = db.users();
    assert_eq!((users[0].email.as_str(), users[0].admin), ("root@example.com", true));
    assert!(users[0].password.starts_with("$2b$04$") && !users[0].password.contains("s3cret-pass"));

    let again = with_stdin(
        auth_server("test", db.url()).args(["user", "create", "--email", "root@example.com"]),
        "s3cret-pass\n",
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("already exists"), "{}", text(&again.stderr));

    let out = run(auth_server("test", db.url()).args([
        "user",
        "set-admin",
        "--email",
        "root@example.com",
        "--admin",
        "false",
    ]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "user 1 (root@example.com) admin: false\n");
    assert!(!db.users()[0].admin);

    db.execute("INSERT INTO revoked_tokens VALUES ('t', 1, '2026-01-01 00:00:00', '2999-01-01 00:00:00')");
    insert_session(&db, "3f0c6a52-33a4-4c5e-9a7c-0c1b0a6d6a01", "2999-01-01 00:00:00");
    let out = run(auth_server("test", db.url()).args(["user", "delete", "--email", "ROOT@example.com"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "deleted root@example.com\n");
    assert!(db.users().is_empty() && db.revocations().is_empty(), "the user's revocations went with them");
    assert!(db.sessions().is_empty(), "and their sessions");
}

/// A live session of user 1, as a login would have stored it.
fn insert_session(db: &TestDatabase, id: &str, at: &str) {
    db.execute(&format!(
        "INSERT INTO sessions (id, user_id, generation, created_at, last_active_at, user_agent, ip) \
         VALUES ('{id}', 1, 0, '{at}', '{at}', 'curl/8', '10.0.0.7')"
    ));
}

#[test]
fn user_sessions_lists_them_and_logout_everywhere_ends_them() {
    let db = TestDatabase::sqlite();
    let out =
        with_stdin(auth_server("test", db.url()).args(["user", "create", "--email", "joe@gmail.com"]), "pw123456\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    // sessions dated now, so that they are live (the CLI reads the system clock)
    let now = chrono::Utc::now().naive_utc();
    let earlier = (now - chrono::TimeDelta::minutes(5)).format("%Y-%m-%d %H:%M:%S").to_string();
    let later = now.format("%Y-%m-%d %H:%M:%S").to_string();
    insert_session(&db, "3f0c6a52-33a4-4c5e-9a7c-0c1b0a6d6a01", &earlier);
    insert_session(&db, "3f0c6a52-33a4-4c5e-9a7c-0c1b0a6d6a02", &later);

    let out = run(auth_server("test", db.url()).args(["user", "sessions", "--email", "Joe@Gmail.com"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rfc = |t: &str| format!("{}Z", t.replace(' ', "T"));
    assert_eq!(
        text(&out.stdout),
        format!(
            "id\tcreated\tlast active\tip\tuser agent\n\
             3f0c6a52-33a4-4c5e-9a7c-0c1b0a6d6a02\t{0}\t{0}\t10.0.0.7\tcurl/8\n\
             3f0c6a52-33a4-4c5e-9a7c-0c1b0a6d6a01\t{1}\t{1}\t10.0.0.7\tcurl/8\n\
             2 live session(s) of user 1 (joe@gmail.com)\n",
            rfc(&later),
            rfc(&earlier)
        )
    );

    let out = run(auth_server("test", db.url()).args(["user", "logout-everywhere", "--email", "joe@gmail.com"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "ended 2 session(s) of joe@gmail.com\n");
    assert!(db.sessions().iter().all(|s| !s.live() && s.end_reason.as_deref() == Some("revoked")));
    let out = run(auth_server("test", db.url()).args(["user", "sessions", "--email", "joe@gmail.com"]));
    assert_eq!(
        text(&out.stdout),
        "id\tcreated\tlast active\tip\tuser agent\n0 live session(s) of user 1 (joe@gmail.com)\n"
    );
    let out = run(auth_server("test", db.url()).args(["user", "logout-everywhere", "--email", "nobody@gmail.com"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no user has this email"), "{}", text(&out.stderr));
}

#[test]
fn user_unlock_clears_the_email_counters_only() {
    let db = TestDatabase::sqlite();
    let out = run(auth_server("test", db.url()).args(["migrate"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    db.execute(
        "INSERT INTO attempt_counters (id, kind, email, window_started_at, attempts, blocked_until) VALUES \
         ('login_pair:192.0.2.1 joe@gmail.com', 'login_pair', 'joe@gmail.com', '2026-11-29 12:00:00', 9, '2999-01-01 00:00:00'), \
         ('login_email:joe@gmail.com', 'login_email', 'joe@gmail.com', '2026-11-29 12:00:00', 9, NULL), \
         ('login_ip:192.0.2.1', 'login_ip', NULL, '2026-11-29 12:00:00', 9, NULL), \
         ('login_email:ann@gmail.com', 'login_email', 'ann@gmail.com', '2026-11-29 12:00:00', 1, NULL)",
    );
    let out = run(auth_server("test", db.url()).args(["user", "unlock", "--email", " Joe@Gmail.com"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "cleared 2 failed-login counter(s) of joe@gmail.com\n");
    let left: Vec<String> = db.counters().into_iter().map(|c| c.id).collect();
    assert_eq!(left, ["login_email:ann@gmail.com", "login_ip:192.0.2.1"]);
    let out = run(auth_server("test", db.url()).args(["user", "unlock", "--email", "not-an-email"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("Invalid email address."), "{}", text(&out.stderr));
}

#[test]
fn events_prints_json_lines_newest_first() {
    let db = TestDatabase::sqlite();
    for email in ["joe@gmail.com", "ann@gmail.com"] {
        let out = with_stdin(auth_server("test", db.url()).args(["user", "create", "--email", email]), "pw123456\n");
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let out = run(auth_server("test", db.url()).args(["user", "delete", "--email", "joe@gmail.com"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    // a deleted user's events stay, without the address: none is found by it any more
    let out = run(auth_server("test", db.url()).args(["events", "--email", "Joe@Gmail.com"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    let out = run(auth_server("test", db.url()).args(["events"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> =
        text(&out.stdout).lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let summary: Vec<(String, serde_json::Value, serde_json::Value)> = lines
        .iter()
        .map(|e| (e["kind"].as_str().unwrap().to_owned(), e["user_id"].clone(), e["email"].clone()))
        .collect();
    let gone = serde_json::Value::Null;
    assert_eq!(
        summary,
        [
            ("user_deleted".to_owned(), serde_json::json!(1), gone.clone()),
            ("register".to_owned(), serde_json::json!(2), serde_json::json!("ann@gmail.com")),
            ("register".to_owned(), serde_json::json!(1), gone)
        ]
    );
    assert_eq!(lines[1]["ip"], serde_json::Value::Null);
    assert_eq!(lines[1]["count"], 1);
    let out = run(auth_server("test", db.url()).args(["events", "--limit", "1"]));
    assert_eq!(text(&out.stdout).lines().count(), 1);
    let out = run(auth_server("test", db.url()).args(["events", "--since", "2999-01-01T00:00:00Z"]));
    assert!(out.status.success() && out.stdout.is_empty(), "{}", text(&out.stderr));
    let out = run(auth_server("test", db.url()).args(["events", "--since", "yesterday"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not an RFC 3339 time"), "{}", text(&out.stderr));
}

fn keys_list_rotate_and_revoke(backend: Backend) {
    let db = TestDatabase::new(backend);
    let keys = |args: &[&str]| run(auth_server("test", db.url()).env("APP__TOKENS__ALGORITHM", "EdDSA").args(args));
    let out = keys(&["keys", "list"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines[0], "kid\tcreated\tsigns from\tsigns until\tretires at\tstate");
    let first: Vec<&str> = lines[1].split('\t').collect();
    assert_eq!((lines.len(), first[3], first[4], first[5]), (2, "-", "-", "signing"), "{listed}");

    let out = keys(&["keys", "rotate"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let added = text(&out.stdout);
    assert!(
        added.starts_with("added signing key ") && added.ends_with("; it signs from 600 seconds from now\n"),
        "{added}"
    );
    let kid = added.trim_start_matches("added signing key ").split(';').next().unwrap().to_owned();
    let listed = text(&keys(&["keys", "list"]).stdout);
    let rows: Vec<Vec<&str>> = listed.lines().skip(1).map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 2, "{listed}");
    assert_eq!((rows[0][3], rows[0][5]), (rows[1][2], "signing"), "the first signs until the next signs");
    assert_eq!((rows[1][0], rows[1][3], rows[1][5]), (kid.as_str(), "-", "next"));
    assert_eq!(db.signing_keys().len(), 2);

    // revoking the key that signs adds one that signs at once; revoking a key twice or a made-up one fails
    let signing = rows[0][0].to_owned();
    let out = keys(&["keys", "revoke", &signing]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.starts_with(&format!(
            "revoked signing key {signing}; every instance refuses its tokens within 60 seconds; key "
        )),
        "{said}"
    );
    assert!(said.ends_with(" signs from now\n"), "{said}");
    let listed = text(&keys(&["keys", "list"]).stdout);
    let states: Vec<&str> = listed.lines().skip(1).map(|l| l.rsplit('\t').next().unwrap()).collect();
    assert_eq!(states.iter().filter(|s| **s == "revoked").count(), 1, "{listed}");
    assert_eq!(states.iter().filter(|s| **s == "signing").count(), 1, "{listed}");
    assert_eq!(db.signing_keys().len(), 3);
    // a kid is base64url and may begin with a dash: one that does is a kid, not an option
    for kid in [signing.as_str(), "no-such-kid", "-e3Xk"] {
        let out = keys(&["keys", "revoke", kid]);
        assert_eq!(out.status.code(), Some(1), "{kid}");
        assert!(text(&out.stderr).contains(&format!("no signing key has the kid {kid}")), "{}", text(&out.stderr));
    }

    let out = run(auth_server("test", db.url()).env("APP__TOKENS__ALGORITHM", "HS256").args(["keys", "list"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("tokens.algorithm is HS256"), "{}", text(&out.stderr));
}

/// The hidden `tokens mint` (load tests): real sessions of an existing user, one token each, recorded.
fn tokens_mint_starts_real_sessions(backend: Backend) {
    let db = TestDatabase::new(backend);
    let out =
        with_stdin(auth_server("test", db.url()).args(["user", "create", "--email", "load@example.com"]), "pw123456\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out =
        run(auth_server("test", db.url()).args(["tokens", "mint", "--email", "load@example.com", "--count", "3"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let tokens: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
    assert_eq!(tokens.len(), 3);
    let mut sessions: Vec<String> = tokens
        .iter()
        .map(|t| {
            use base64::Engine as _;
            let claims: serde_json::Value = serde_json::from_slice(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(1).unwrap()).unwrap(),
            )
            .unwrap();
            claims["sid"].as_str().unwrap().to_owned()
        })
        .collect();
    sessions.sort();
    let mut stored: Vec<String> = db.sessions().into_iter().filter(|s| s.live()).map(|s| s.id).collect();
    stored.sort();
    assert_eq!(sessions, stored);
    assert_eq!(db.event_kinds().iter().filter(|(kind, _)| kind == "session_minted").count(), 3);
    let out = run(auth_server("test", db.url()).args(["tokens", "mint", "--email", "nobody@example.com"]));
    assert_eq!(out.status.code(), Some(1));
    let help = text(&run(Command::new(env!("CARGO_BIN_EXE_auth-server")).args(["tokens", "--help"])).stdout);
    assert!(!help.contains("mint"), "hidden: {help}");
}

#[test]
fn user_commands_fail_clearly() {
    let db = TestDatabase::sqlite();
    let cases: [(&[&str], &str, &str); 5] = [
        (&["user", "create", "--email", "not-an-email"], "pw123456\n", "Invalid email address."),
        (&["user", "create", "--email", "joe@gmail.com"], "123\n", "Password must be at least 6 characters."),
        (&["user", "create", "--email", "joe@gmail.com"], "", "no password given"),
        (&["user", "set-admin", "--email", "nobody@gmail.com", "--admin", "true"], "", "no user has this email"),
        (&["user", "delete", "--email", "nobody@gmail.com"], "", "no user has this email"),
    ];
    for (args, input, message) in cases {
        let out = with_stdin(auth_server("test", db.url()).args(args), input);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(text(&out.stderr).contains(message), "{args:?}: {}", text(&out.stderr));
    }
    let out = run(auth_server("test", db.url()).args(["user", "set-admin", "--email", "a@b.co", "--admin", "maybe"]));
    assert_eq!(out.status.code(), Some(2), "clap refuses a non-boolean");
    let out = run(Command::new(env!("CARGO_BIN_EXE_auth-server")).args(["user", "create", "--help"]));
    assert!(text(&out.stdout).contains("never an argument"));
    assert!(db.users().is_empty());
}

#[test]
fn healthcheck_reports_readiness() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/auth.db", dir.path().display());
    // nothing listens on port 1
    let out = run(auth_server("test", &url).env("APP__SERVER__PORT", "1").arg("healthcheck"));
    assert_eq!(out.status.code(), Some(1), "nothing listens there");
    assert!(text(&out.stderr).contains("127.0.0.1:1/health/ready"), "{}", text(&out.stderr));

    // `serve` reports its address once it listens, and is ready by then (migrations run before).
    let server = Served::start(&url, &[], Stdio::null());
    let out = run(auth_server("test", &url).env("APP__SERVER__PORT", server.port.to_string()).arg("healthcheck"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "ready\n");
}

/// A registration sent on a thread of its own; its raw reply.
fn register_in_background(port: u16) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let body = r#"{"email":"joe@gmail.com","password":"123456"}"#;
        match http(port, "POST", "/auth/register", &[("Content-Type", "application/json")], body) {
            Ok(reply) => format!("{} {}", reply.status, reply.body),
            Err(e) => format!("no reply: {e}"),
        }
    })
}

/// Waits until the server has started hashing (its metrics count the hash runs).
fn wait_for_a_hash_to_start(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page = http(port, "GET", "/metrics", &[], "").unwrap().body;
        if page.lines().any(|l| l == "auth_password_hash_runs_total 1") {
            return;
        }
        assert!(Instant::now() < deadline, "no hash started");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_stops_accepting_and_lets_the_request_in_flight_finish() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/auth.db", dir.path().display());
    // a registration at cost 15 takes about two seconds: it is surely still running at SIGTERM
    let mut server = Served::start(&url, &[("APP__PASSWORD__BCRYPT_COST", "15")], Stdio::null());
    let port = server.port;
    let in_flight = register_in_background(port);
    wait_for_a_hash_to_start(port);
    server.terminate();
    // New connections are refused while the registration is still being served.
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(Instant::now() < deadline, "still accepting after SIGTERM");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!in_flight.is_finished(), "the request finished before the listener closed: nothing was in flight");
    let reply = in_flight.join().unwrap();
    assert!(reply.starts_with("201 "), "{reply}");
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert_eq!(TestDatabase::sqlite_at(&dir.path().join("auth.db")).users().len(), 1);
}

#[test]
fn sigterm_cuts_requests_still_running_after_the_shutdown_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/auth.db", dir.path().display());
    // cost 16 takes about five seconds; the grace period is one
    let mut server = Served::start(
        &url,
        &[("APP__PASSWORD__BCRYPT_COST", "16"), ("APP__SERVER__SHUTDOWN_TIMEOUT_SECS", "1")],
        Stdio::null(),
    );
    let in_flight = register_in_background(server.port);
    wait_for_a_hash_to_start(server.port);
    server.terminate();
    let reply = in_flight.join().unwrap();
    assert!(!reply.starts_with("201"), "answered although the grace period had run out: {reply}");
    assert!(server.child.wait().unwrap().success());
}

#[test]
fn a_write_the_database_did_not_keep_is_a_failure_with_a_clear_message() {
    if std::env::var_os("AUTH_TEST_NO_MOUNT").is_some() {
        return; // chattr needs root, like the durability tests
    }
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("auth.db");
    let url = format!("sqlite://{}", db_path.display());
    let out = with_stdin(auth_server("test", &url).args(["user", "create", "--email", "joe@gmail.com"]), "pw123456\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let chattr = |flag: &str| assert!(Command::new("chattr").arg(flag).arg(&db_path).status().unwrap().success());
    chattr("+i");
    let out = run(auth_server("test", &url).env("APP__DATABASE__ACQUIRE_TIMEOUT_MS", "300").args([
        "user",
        "set-admin",
        "--email",
        "joe@gmail.com",
        "--admin",
        "true",
    ]));
    chattr("-i");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stdout).is_empty(), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("cannot be written"), "{}", text(&out.stderr));
    let users = TestDatabase::sqlite_at(&db_path).users();
    assert_eq!(users.len(), 1);
    assert!(!users[0].admin, "the flag must not be reported set when it was not");
}

#[test]
fn serve_refuses_settings_out_of_range_at_once() {
    for (variable, value) in [
        ("APP__PASSWORD__BCRYPT_COST", "31"),
        ("APP__SERVER__WORKERS", "20000"),
        ("APP__DATABASE__POOL_MAX_SIZE", "4294967295"),
        ("APP__TOKENS__LEEWAY_SECS", "9300000000000000"),
    ] {
        let out = run(auth_server("test", "sqlite://unused.db").env(variable, value).arg("serve"));
        assert_eq!(out.status.code(), Some(2), "{variable}={value}");
        assert!(text(&out.stderr).contains(&format!("({variable})")), "{}", text(&out.stderr));
    }
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
    let server = Served::start(&format!("sqlite://{}", db_path.display()), &[], Stdio::null());
    let reply = http(server.port, "GET", "/auth/status", &[], "").unwrap();
    assert_eq!(reply.status, 401, "{reply:?}");
    assert_eq!(reply.body, r#"{"status":"fail","message":"Provide a valid auth token."}"#);
    assert!(db_path.exists());
}

on_both_backends!(keys_list_rotate_and_revoke, tokens_mint_starts_real_sessions);
