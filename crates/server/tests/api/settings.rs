//! Layering (default.toml, then {environment}.toml, then APP__ variables), unknown keys, and the
//! production checks.

use crate::common::{config_dir, load, vars};
use auth_server::settings::{Environment, LogFormat, Settings, SettingsError};
use secrecy::ExposeSecret;
use std::path::Path;

fn problems(settings: &Settings, environment: Environment) -> Vec<String> {
    match settings.validate(environment) {
        Err(SettingsError::Invalid(problems)) => problems,
        other => panic!("expected problems, got {other:?}"),
    }
}

const GOOD_SECRET: &str = "a-production-secret-of-more-than-32-bytes";
/// An operator's own key-encryption key (32 bytes, base64).
const GOOD_KEK: &str = "b3BlcmF0b3JzLW93bi1rZXktb2YtMzItYnl0ZXMhISE=";

#[test]
fn development_uses_the_defaults() {
    let s = load(Environment::Development, &[]);
    assert_eq!(s.server.host, "127.0.0.1");
    assert_eq!(s.server.port, 8080);
    assert_eq!(s.database.url.expose_secret(), "sqlite://data/auth.db");
    assert_eq!(s.password.bcrypt_cost, 12);
    assert_eq!(s.password.min_length, 6);
    assert_eq!(s.tokens.access_ttl_secs, 3600);
    assert_eq!(s.tokens.leeway_secs, 0);
    assert_eq!(s.log.format, LogFormat::Pretty);
    assert!(s.validate(Environment::Development).is_ok());
}

#[test]
fn the_environment_file_overrides_the_defaults() {
    let s = load(Environment::Test, &[]);
    assert_eq!(s.server.port, 0);
    assert_eq!(s.password.bcrypt_cost, 4);
    assert_eq!(s.server.host, "127.0.0.1", "keys the file does not set keep their default");
    let p = load(Environment::Production, &[("APP__TOKENS__SECRET", GOOD_SECRET)]);
    assert_eq!(p.log.format, LogFormat::Json);
    assert_eq!(p.server.host, "0.0.0.0");
}

#[test]
fn environment_variables_override_the_files() {
    let s = load(
        Environment::Test,
        &[
            ("APP__SERVER__PORT", "9000"),
            ("APP__PASSWORD__MIN_LENGTH", "10"),
            ("APP__TOKENS__ACCESS_TTL_SECS", "60"),
            ("APP__TOKENS__SECRET", "000123"),
            ("APP__LOG__FORMAT", "json"),
            ("UNRELATED", "ignored"),
        ],
    );
    assert_eq!(s.server.port, 9000);
    assert_eq!(s.password.min_length, 10);
    assert_eq!(s.tokens.access_ttl_secs, 60);
    assert_eq!(s.tokens.secret.expose_secret(), "000123", "secrets are never parsed as numbers");
    assert_eq!(s.log.format, LogFormat::Json);
}

#[test]
fn database_url_is_read_unless_app_database_url_is_set() {
    let s = load(Environment::Development, &[("DATABASE_URL", "postgres://a@h/db")]);
    assert_eq!(s.database.url.expose_secret(), "postgres://a@h/db");
    let s = load(
        Environment::Development,
        &[("DATABASE_URL", "postgres://a@h/db"), ("APP__DATABASE__URL", "sqlite://x.db")],
    );
    assert_eq!(s.database.url.expose_secret(), "sqlite://x.db");
}

#[test]
fn an_unknown_key_is_an_error() {
    let err = Settings::load_from(&config_dir(), Environment::Test, vars(&[("APP__SERVER__PROT", "1")])).unwrap_err();
    assert!(err.to_string().contains("prot"), "{err}");
    let err = Settings::load_from(&config_dir(), Environment::Test, vars(&[("APP__NOPE__KEY", "1")])).unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    copy_config(dir.path());
    std::fs::write(dir.path().join("test.toml"), "[tokens]\nsecert = \"typo\"\n").unwrap();
    let err = Settings::load_from(dir.path(), Environment::Test, vars(&[])).unwrap_err();
    assert!(err.to_string().contains("secert"), "{err}");
}

#[test]
fn a_bad_value_names_the_key() {
    let err =
        Settings::load_from(&config_dir(), Environment::Test, vars(&[("APP__SERVER__PORT", "eighty")])).unwrap_err();
    assert!(err.to_string().contains("server.port"), "{err}");
}

#[test]
fn a_missing_config_directory_is_an_error() {
    let err = Settings::load_from(Path::new("/nonexistent/config"), Environment::Test, vars(&[])).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/config"), "{err}");
}

#[test]
fn the_environment_name_is_checked() {
    assert_eq!("production".parse::<Environment>().unwrap(), Environment::Production);
    assert_eq!("Test".parse::<Environment>().unwrap(), Environment::Test);
    let err = "staging".parse::<Environment>().unwrap_err();
    assert!(err.to_string().contains("staging"), "{err}");
}

#[test]
fn production_refuses_a_missing_secret() {
    let s = load(Environment::Production, &[]);
    let problems = problems(&s, Environment::Production);
    assert!(
        problems.iter().any(|p| p.contains("tokens.secret is not set") && p.contains("APP__TOKENS__SECRET")),
        "{problems:?}"
    );
}

#[test]
fn production_refuses_a_short_secret() {
    let s = load(Environment::Production, &[("APP__TOKENS__SECRET", "short-secret")]);
    let problems = problems(&s, Environment::Production);
    assert!(problems.iter().any(|p| p.contains("12 bytes") && p.contains("at least 32")), "{problems:?}");
}

#[test]
fn production_refuses_every_secret_shipped_in_config() {
    for environment in [Environment::Development, Environment::Test] {
        let shipped = load(environment, &[]).tokens.secret.expose_secret().to_owned();
        assert!(shipped.len() >= 32, "the shipped secret must fail for being shipped, not for being short");
        let s = load(Environment::Production, &[("APP__TOKENS__SECRET", &shipped)]);
        let problems = problems(&s, Environment::Production);
        assert!(problems.iter().any(|p| p.contains("shipped in config/")), "{problems:?}");
    }
}

/// A value shown anywhere in the repository is public, however random it looks: `.env.example`'s
/// placeholder, the docs' examples. And a long secret made of words is refused as guessable.
#[test]
fn production_refuses_secrets_shipped_anywhere_and_guessable_ones() {
    let env_example = std::fs::read_to_string(config_dir().join("../.env.example")).unwrap();
    let placeholder = env_example
        .lines()
        .find_map(|l| l.trim_start_matches("# ").strip_prefix("AUTH_TOKENS_SECRET="))
        .expect(".env.example shows the secret's variable")
        .trim()
        .to_owned();
    assert!(placeholder.len() >= 32, "{placeholder}");
    let s = load(
        Environment::Production,
        &[("APP__TOKENS__SECRET", &placeholder), ("APP__TOKENS__KEY_ENCRYPTION_KEY", GOOD_KEK)],
    );
    let found = problems(&s, Environment::Production);
    assert!(found.iter().any(|p| p.contains("shipped in config/, .env.example or the docs")), "{found:?}");
    for guessable in ["passwordpasswordpassword1234567890", "abcdefghijklmnopqrstuvwxyz0123456789"] {
        let s = load(
            Environment::Production,
            &[("APP__TOKENS__SECRET", guessable), ("APP__TOKENS__KEY_ENCRYPTION_KEY", GOOD_KEK)],
        );
        let found = problems(&s, Environment::Production);
        assert!(found.iter().any(|p| p.contains("tokens.secret")), "{guessable}: {found:?}");
    }
    // a random one passes
    let s = load(
        Environment::Production,
        &[
            ("APP__TOKENS__SECRET", "Qm9xK2v7Lw1pZ8rT3yN6bH0cJ5dF4gS9aE2uI7oP"),
            ("APP__TOKENS__KEY_ENCRYPTION_KEY", GOOD_KEK),
        ],
    );
    s.validate(Environment::Production).unwrap();
}

/// The PostgreSQL password apart from the URL (`database.password`, `_FILE` too): any character, put into
/// the URL percent-encoded. A URL a raw password cut says so, and repeats nothing of it.
#[test]
fn the_database_password_may_be_set_apart_and_hold_any_character() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("db-password");
    std::fs::write(&file, "ab/cd@ef:gh?ij\n").unwrap();
    let s = load(
        Environment::Development,
        &[
            ("APP__DATABASE__URL", "postgres://auth@db:5432/auth"),
            ("APP__DATABASE__PASSWORD_FILE", file.to_str().unwrap()),
        ],
    );
    s.validate(Environment::Development).unwrap();
    let pool = auth_persistence::PoolSettings::try_from(&s.database).unwrap();
    assert_eq!(pool.url.to_string(), "postgres://auth:***@db:5432/auth");
    assert!(!format!("{s:?} {pool:?}").contains("ab/cd"));
    // the same password written into the URL
    let s = load(Environment::Development, &[("APP__DATABASE__URL", "postgres://auth:ab/cd@ef@db:5432/auth")]);
    let found = problems(&s, Environment::Development);
    let problem = found.iter().find(|p| p.contains("database.url")).expect("the URL is refused");
    assert!(problem.contains("database.password") && problem.contains("APP__DATABASE__PASSWORD_FILE"), "{problem}");
    assert!(!problem.contains("ab/cd"), "{problem}");
}

#[test]
fn production_refuses_a_large_leeway_and_a_cheap_hash() {
    let s = load(
        Environment::Production,
        &[
            ("APP__TOKENS__SECRET", GOOD_SECRET),
            ("APP__TOKENS__KEY_ENCRYPTION_KEY", GOOD_KEK),
            ("APP__TOKENS__LEEWAY_SECS", "61"),
            ("APP__PASSWORD__BCRYPT_COST", "4"),
        ],
    );
    let problems = problems(&s, Environment::Production);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("leeway_secs is 61"), "{problems:?}");
    assert!(problems[1].contains("bcrypt_cost is 4"), "{problems:?}");
}

#[test]
fn production_refuses_secrets_with_too_little_variety() {
    let shipped = load(Environment::Development, &[]).tokens.secret.expose_secret().to_owned();
    for (secret, expected) in [
        (" ".repeat(32), "too few different characters"),
        ("a".repeat(32), "too few different characters"),
        ("ab".repeat(24), "too few different characters"),
        (format!("{}{}", "x".repeat(30), "0123456789abcdefghij"), "repeats one character"),
        (format!("{shipped} "), "shipped in config/"),
        (format!("  {shipped}\t"), "shipped in config/"),
    ] {
        let s = load(Environment::Production, &[("APP__TOKENS__SECRET", &secret)]);
        let problems = problems(&s, Environment::Production);
        assert!(
            problems.iter().any(|p| p.contains(expected) && p.contains("APP__TOKENS__SECRET")),
            "{secret:?}: {problems:?}"
        );
    }
}

#[test]
fn a_shipped_secret_never_listens_beyond_loopback() {
    for environment in [Environment::Development, Environment::Test] {
        for host in ["0.0.0.0", "::", "192.168.1.10", "auth.example.com"] {
            let s = load(environment, &[("APP__SERVER__HOST", host)]);
            let problems = problems(&s, environment);
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(
                problems[0].contains("shipped in config/") && problems[0].contains("APP__SERVER__HOST"),
                "{problems:?}"
            );
        }
        for host in ["127.0.0.1", "::1", "[::1]", "localhost", "127.0.0.2"] {
            load(environment, &[("APP__SERVER__HOST", host)]).validate(environment).unwrap();
        }
        // a secret of one's own may listen anywhere
        load(environment, &[("APP__SERVER__HOST", "0.0.0.0"), ("APP__TOKENS__SECRET", GOOD_SECRET)])
            .validate(environment)
            .unwrap();
    }
}

#[test]
fn every_number_has_a_range_checked_in_every_environment() {
    let cases: &[(&str, &str, &str)] = &[
        ("APP__SERVER__WORKERS", "20000", "server.workers must be between 0 and 256"),
        (
            "APP__SERVER__BLOCKING_THREADS_PER_WORKER",
            "100000",
            "server.blocking_threads_per_worker must be between 0 and 1024",
        ),
        (
            "APP__SERVER__SHUTDOWN_TIMEOUT_SECS",
            "18446744073709551615",
            "server.shutdown_timeout_secs must be between 0 and 3600",
        ),
        ("APP__SERVER__BODY_TIMEOUT_MS", "0", "server.body_timeout_ms must be between 100 and 600000"),
        (
            "APP__SERVER__MAX_CONNECTIONS_PER_WORKER",
            "1000000",
            "server.max_connections_per_worker must be between 0 and 100000",
        ),
        ("APP__SERVER__LISTEN_BACKLOG", "1", "server.listen_backlog must be between 16 and 65535"),
        ("APP__SERVER__LISTEN_BACKLOG", "70000", "server.listen_backlog must be between 16 and 65535"),
        ("APP__DATABASE__POOL_MAX_SIZE", "4294967295", "database.pool_max_size must be between 1 and 256"),
        ("APP__DATABASE__ACQUIRE_TIMEOUT_MS", "0", "database.acquire_timeout_ms must be between 1 and 600000"),
        (
            "APP__DATABASE__STATEMENT_TIMEOUT_MS",
            "18446744073709551615",
            "database.statement_timeout_ms must be between 0 and 86400000",
        ),
        (
            "APP__DATABASE__SQLITE_BUSY_TIMEOUT_MS",
            "99999999999",
            "database.sqlite_busy_timeout_ms must be between 0 and 600000",
        ),
        ("APP__TOKENS__ACCESS_TTL_SECS", "0", "tokens.access_ttl_secs must be between 1 and 315360000"),
        ("APP__TOKENS__LEEWAY_SECS", "99999999999999", "tokens.leeway_secs must be between 0 and 3600"),
        ("APP__TOKENS__LEEWAY_SECS", "9300000000000000", "tokens.leeway_secs must be between 0 and 3600"),
        ("APP__TOKENS__PRUNE_INTERVAL_SECS", "0", "tokens.prune_interval_secs must be between 1 and 604800"),
        ("APP__PASSWORD__MIN_LENGTH", "129", "password.min_length must be between 1 and 128"),
        ("APP__PASSWORD__BCRYPT_COST", "31", "password.bcrypt_cost must be between 4 and 16"),
        ("APP__PASSWORD__MAX_CONCURRENT_HASHES", "5000", "password.max_concurrent_hashes must be between 0 and 1024"),
        ("APP__PASSWORD__MAX_WAITING_HASHES", "1000000", "password.max_waiting_hashes must be between 0 and 100000"),
        ("APP__SESSIONS__REFRESH_REUSE_GRACE_SECS", "61", "sessions.refresh_reuse_grace_secs must be between 0 and 60"),
        ("APP__SESSIONS__MAX_PER_USER", "0", "sessions.max_per_user must be between 1 and 1000"),
        ("APP__SESSIONS__REFRESH_TTL_SECS", "10", "sessions.refresh_ttl_secs must be between 60 and 31536000"),
        ("APP__ABUSE__FORGOT_PER_IP_PER_HOUR", "2000000", "abuse.forgot_per_ip_per_hour must be between 0 and 1000000"),
        ("APP__EMAIL__RESET_TTL_SECS", "10", "email.reset_ttl_secs must be between 60 and 2592000"),
        ("APP__EMAIL__VERIFY_TTL_SECS", "99999999", "email.verify_ttl_secs must be between 60 and 2592000"),
        ("APP__EMAIL__MAX_PER_ADDRESS_PER_HOUR", "1001", "email.max_per_address_per_hour must be between 0 and 1000"),
        ("APP__EMAIL__MAX_ATTEMPT_HOURS", "0", "email.max_attempt_hours must be between 1 and 720"),
        ("APP__EMAIL__RETENTION_DAYS", "0", "email.retention_days must be between 1 and 3650"),
        ("APP__EMAIL__SMTP_TIMEOUT_SECS", "0", "email.smtp_timeout_secs must be between 1 and 300"),
    ];
    for environment in [Environment::Development, Environment::Test, Environment::Production] {
        for (variable, value, expected) in cases {
            let s = load(environment, &[(variable, value), ("APP__TOKENS__SECRET", GOOD_SECRET)]);
            let problems = problems(&s, environment);
            assert!(
                problems.iter().any(|p| p.contains(expected) && p.ends_with(&format!("({variable})"))),
                "{environment:?} {variable}={value}: {problems:?}"
            );
        }
    }
}

#[test]
fn more_connections_than_the_open_file_limit_allows_are_refused() {
    let limit = auth_server::settings::open_file_limit();
    // 256 workers × 100,000 connections × 2 descriptors: more than any open-file limit in use.
    assert!(limit < 256 * 100_000 * 2, "the hard open-file limit is {limit}");
    let s = load(
        Environment::Test,
        &[("APP__SERVER__WORKERS", "256"), ("APP__SERVER__MAX_CONNECTIONS_PER_WORKER", "100000")],
    );
    let problems = problems(&s, Environment::Test);
    assert!(
        problems.iter().any(|p| p.contains("open-file limit") && p.contains("APP__SERVER__MAX_CONNECTIONS_PER_WORKER")),
        "{problems:?}"
    );
    // The default (0) derives a cap that fits.
    let derived = load(Environment::Test, &[("APP__SERVER__WORKERS", "2")]);
    let per_worker = derived.server.connections_per_worker(derived.database.pool_max_size).unwrap();
    assert!(per_worker >= 1 && (per_worker as u64) * 2 * 2 < limit, "{per_worker} with limit {limit}");
}

#[test]
fn a_database_password_with_an_unescaped_at_is_refused_without_showing_it() {
    let s = load(Environment::Test, &[("APP__DATABASE__URL", "postgres://auth:pa@ss@word@127.0.0.1/auth")]);
    let problems = problems(&s, Environment::Test);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("%40") && problems[0].contains("APP__DATABASE__URL"), "{problems:?}");
    assert!(!problems[0].contains("ss@word"), "{problems:?}");
}

#[test]
fn production_serves_metrics_on_loopback_only_by_default() {
    let s = load(Environment::Production, &[("APP__TOKENS__SECRET", GOOD_SECRET)]);
    assert_eq!(s.metrics.bind, "127.0.0.1:9090");
    assert_eq!(load(Environment::Development, &[]).metrics.bind, "");
}

#[test]
fn production_accepts_a_good_secret() {
    let s = load(
        Environment::Production,
        &[("APP__TOKENS__SECRET", GOOD_SECRET), ("APP__TOKENS__KEY_ENCRYPTION_KEY", GOOD_KEK)],
    );
    s.validate(Environment::Production).unwrap();
}

#[test]
fn every_problem_is_listed_at_once() {
    let s = load(
        Environment::Test,
        &[
            ("APP__DATABASE__URL", "mysql://x"),
            ("APP__DATABASE__POOL_MAX_SIZE", "0"),
            ("APP__PASSWORD__MIN_LENGTH", "0"),
            ("APP__PASSWORD__BCRYPT_COST", "3"),
            ("APP__TOKENS__ACCESS_TTL_SECS", "0"),
            ("APP__LOG__LEVEL", "info,[[["),
        ],
    );
    let problems = problems(&s, Environment::Test);
    assert_eq!(problems.len(), 6, "{problems:?}");
    let err = SettingsError::Invalid(problems).to_string();
    for key in [
        "APP__DATABASE__URL",
        "APP__DATABASE__POOL_MAX_SIZE",
        "APP__PASSWORD__MIN_LENGTH",
        "APP__PASSWORD__BCRYPT_COST",
        "APP__TOKENS__ACCESS_TTL_SECS",
        "APP__LOG__LEVEL",
    ] {
        assert!(err.contains(key), "{err}");
    }
}

#[test]
fn debug_output_hides_the_secret_and_database_url() {
    let s = load(
        Environment::Production,
        &[("APP__TOKENS__SECRET", GOOD_SECRET), ("APP__DATABASE__URL", "postgres://app:db-password@db/auth")],
    );
    let debug = format!("{s:?}");
    assert!(!debug.contains(GOOD_SECRET), "{debug}");
    assert!(!debug.contains("db-password"), "{debug}");
}

fn copy_config(to: &Path) {
    for entry in std::fs::read_dir(config_dir()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn secrets_can_come_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("token_secret");
    std::fs::write(&secret_file, format!("{GOOD_SECRET}\n")).unwrap();
    let url_file = dir.path().join("database_url");
    std::fs::write(&url_file, "postgres://app:pw@db/auth").unwrap();
    let kek_file = dir.path().join("key_encryption_key");
    std::fs::write(&kek_file, format!("{GOOD_KEK}\n")).unwrap();
    let s = load(
        Environment::Production,
        &[
            ("APP__TOKENS__SECRET", "ignored-because-the-file-wins-0123456789"),
            ("APP__TOKENS__SECRET_FILE", secret_file.to_str().unwrap()),
            ("APP__DATABASE__URL_FILE", url_file.to_str().unwrap()),
            ("APP__TOKENS__KEY_ENCRYPTION_KEY_FILE", kek_file.to_str().unwrap()),
        ],
    );
    assert_eq!(s.tokens.key_encryption_key.expose_secret(), GOOD_KEK);
    assert_eq!(s.tokens.secret.expose_secret(), GOOD_SECRET, "the trailing newline is dropped");
    assert_eq!(s.database.url.expose_secret(), "postgres://app:pw@db/auth");
    s.validate(Environment::Production).unwrap();

    let err = Settings::load_from(
        &config_dir(),
        Environment::Test,
        vars(&[("APP__TOKENS__SECRET_FILE", "/nonexistent/secret")]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("APP__TOKENS__SECRET_FILE"), "{err}");
}

#[test]
fn cors_origins_come_from_a_list_or_a_comma_separated_variable() {
    assert_eq!(load(Environment::Development, &[]).cors.allowed_origins, vec!["*".to_owned()]);
    assert!(load(Environment::Production, &[("APP__TOKENS__SECRET", GOOD_SECRET)]).cors.allowed_origins.is_empty());
    let s = load(Environment::Test, &[("APP__CORS__ALLOWED_ORIGINS", "https://a.example.com, http://localhost:3000,")]);
    assert_eq!(s.cors.allowed_origins, vec!["https://a.example.com".to_owned(), "http://localhost:3000".to_owned()]);
}

#[test]
fn production_refuses_any_origin_and_bad_origins_are_named() {
    let s = load(Environment::Production, &[("APP__TOKENS__SECRET", GOOD_SECRET), ("APP__CORS__ALLOWED_ORIGINS", "*")]);
    let found = problems(&s, Environment::Production);
    assert!(found.iter().any(|p| p.contains("cors.allowed_origins contains \"*\"")), "{found:?}");
    let s = load(
        Environment::Test,
        &[("APP__CORS__ALLOWED_ORIGINS", "app.example.com,https://ok.example.com/"), ("APP__METRICS__BIND", "nowhere")],
    );
    let found = problems(&s, Environment::Test);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found[0].contains("\"app.example.com\"") && found[1].contains("\"https://ok.example.com/\""), "{found:?}");
    assert!(found[2].contains("metrics.bind"), "{found:?}");
}

#[test]
fn signing_settings_are_checked() {
    let own_kek = GOOD_KEK;
    let eddsa = |kek: &str| {
        load(
            Environment::Production,
            &[
                ("APP__TOKENS__SECRET", GOOD_SECRET),
                ("APP__TOKENS__ALGORITHM", "EdDSA"),
                ("APP__TOKENS__KEY_ENCRYPTION_KEY", kek),
            ],
        )
    };
    let shipped = load(Environment::Development, &[]).tokens.key_encryption_key.expose_secret().to_owned();
    let cases: [(Settings, &str); 5] = [
        (
            load(
                Environment::Development,
                &[("APP__TOKENS__ALGORITHM", "HS256"), ("APP__TOKENS__KEY_ROTATION_DAYS", "4000")],
            ),
            "tokens.key_rotation_days must be between 0 and 3650",
        ),
        (eddsa(""), "tokens.key_encryption_key is not set: set APP__TOKENS__KEY_ENCRYPTION_KEY"),
        (eddsa(&shipped), "tokens.key_encryption_key is a value shipped in config/"),
        (eddsa("c2hvcnQ="), "tokens.key_encryption_key must be 32 bytes in base64"),
        (
            load(
                Environment::Development,
                &[("APP__TOKENS__ALGORITHM", "EdDSA"), ("APP__TOKENS__KEY_REFRESH_SECS", "0")],
            ),
            "tokens.key_refresh_secs",
        ),
    ];
    for (settings, expected) in cases {
        let environment = if settings.tokens.secret.expose_secret() == GOOD_SECRET {
            Environment::Production
        } else {
            Environment::Development
        };
        let problems = problems(&settings, environment);
        assert!(problems.iter().any(|p| p.contains(expected)), "{expected}: {problems:?}");
    }
    // an algorithm but the two is refused as the settings load, naming the key and the two
    let Err(error) =
        Settings::load_from(&config_dir(), Environment::Development, vars(&[("APP__TOKENS__ALGORITHM", "RS256")]))
    else {
        panic!("RS256 was accepted")
    };
    let message = error.to_string();
    assert!(
        message.contains("tokens.algorithm") && message.contains("EdDSA") && message.contains("HS256"),
        "{message}"
    );
    // the operator's own key passes; HS256 does not need one
    eddsa(own_kek).validate(Environment::Production).unwrap();
    let hs256 = load(
        Environment::Production,
        &[
            ("APP__TOKENS__SECRET", GOOD_SECRET),
            ("APP__TOKENS__ALGORITHM", "HS256"),
            ("APP__TOKENS__KEY_ENCRYPTION_KEY", ""),
        ],
    );
    hs256.validate(Environment::Production).unwrap();
}

/// Email in production: never links in the log; SMTP needs a URL it can use and the public address of
/// the links; a URL's password is never repeated; with email on (even under HS256) the key-encryption key
/// must be the operator's own, as it seals the outbox's links.
#[test]
fn production_email_needs_smtp_its_url_and_the_links_address() {
    let base = [("APP__TOKENS__SECRET", GOOD_SECRET), ("APP__TOKENS__KEY_ENCRYPTION_KEY", GOOD_KEK)];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut pairs = base.to_vec();
        pairs.extend_from_slice(extra);
        load(Environment::Production, &pairs)
    };
    // shipped: email off, valid
    let off = with(&[]);
    off.validate(Environment::Production).unwrap();
    assert!(!off.email.enabled());
    let has = |extra: &[(&'static str, &'static str)], expected: &str| {
        let problems = problems(&with(extra), Environment::Production);
        assert!(problems.iter().any(|p| p.contains(expected)), "{extra:?}: {problems:?}");
        problems
    };
    has(&[("APP__EMAIL__TRANSPORT", "log")], "production needs \"smtp\" or \"none\" (APP__EMAIL__TRANSPORT)");
    has(&[("APP__EMAIL__TRANSPORT", "smtp")], "email.smtp_url is not set");
    has(
        &[("APP__EMAIL__TRANSPORT", "smtp"), ("APP__EMAIL__SMTP_URL", "smtp://mail.example.com")],
        "email.public_url is not set",
    );
    let listed = has(
        &[
            ("APP__EMAIL__TRANSPORT", "smtp"),
            ("APP__EMAIL__SMTP_URL", "http://mailer:hunter2@mail.example.com"),
            ("APP__EMAIL__PUBLIC_URL", "https://auth.example.com"),
        ],
        "email.smtp_url must start with smtp:// or smtps:// (APP__EMAIL__SMTP_URL)",
    );
    assert!(listed.iter().all(|p| !p.contains("hunter2")), "{listed:?}");
    has(
        &[
            ("APP__EMAIL__TRANSPORT", "smtp"),
            ("APP__EMAIL__SMTP_URL", "smtps://mail.example.com"),
            ("APP__EMAIL__SMTP_TLS", "none"),
            ("APP__EMAIL__PUBLIC_URL", "https://auth.example.com"),
        ],
        "email.smtp_tls = \"none\" cannot be used with smtps://",
    );
    has(
        &[
            ("APP__EMAIL__TRANSPORT", "smtp"),
            ("APP__EMAIL__SMTP_URL", "smtp://mail.example.com"),
            ("APP__EMAIL__PUBLIC_URL", "auth.example.com"),
        ],
        "email.public_url must be an http:// or https:// URL",
    );
    has(&[("APP__EMAIL__REQUIRE_VERIFICATION", "true")], "email.require_verification needs email");
    let good = [
        ("APP__EMAIL__TRANSPORT", "smtp"),
        ("APP__EMAIL__SMTP_URL", "smtp://mailer:s3cret@mail.example.com:587"),
        ("APP__EMAIL__PUBLIC_URL", "https://auth.example.com"),
    ];
    with(&good).validate(Environment::Production).unwrap();
    // HS256 with email: the key-encryption key is still needed, and must be the operator's own
    let mut hs256 = vec![("APP__TOKENS__SECRET", GOOD_SECRET), ("APP__TOKENS__ALGORITHM", "HS256")];
    hs256.extend_from_slice(&good);
    let problems = problems(&load(Environment::Production, &hs256), Environment::Production);
    assert!(problems.iter().any(|p| p.contains("tokens.key_encryption_key is not set")), "{problems:?}");
}

/// A template directory with a broken or unknown file stops the start, naming the file.
#[test]
fn a_broken_template_override_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("password_reset_link.txt"), "{{ link").unwrap();
    let path = dir.path().to_str().unwrap();
    let s = load(Environment::Development, &[("APP__EMAIL__TEMPLATES_DIR", path)]);
    let problems = problems(&s, Environment::Development);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("template password_reset_link.txt") && p.ends_with("(APP__EMAIL__TEMPLATES_DIR)")),
        "{problems:?}"
    );
    std::fs::write(dir.path().join("password_reset_link.txt"), "Reset: {{ link }}").unwrap();
    load(Environment::Development, &[("APP__EMAIL__TEMPLATES_DIR", path)]).validate(Environment::Development).unwrap();
}
