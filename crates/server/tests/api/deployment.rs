//! No Docker engine runs where the tests run, so the deployment files are checked by reading them:
//! the compose file's services, health gating and environment, and that the Dockerfile builds and runs
//! what the rest of the project builds and runs without Docker.

use std::path::PathBuf;
use yaml_rust2::{Yaml, YamlLoader};

fn repo_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn compose() -> Yaml {
    YamlLoader::load_from_str(&repo_file("docker-compose.yml")).unwrap().remove(0)
}

fn str_list(yaml: &Yaml) -> Vec<&str> {
    yaml.as_vec().unwrap_or_else(|| panic!("not a list: {yaml:?}")).iter().map(|y| y.as_str().unwrap()).collect()
}

#[test]
fn compose_runs_postgres_with_a_healthcheck_and_a_volume() {
    let doc = compose();
    let db = &doc["services"]["db"];
    let image = db["image"].as_str().unwrap();
    assert!(
        image.starts_with("postgres:16.") && image.split(':').nth(1).unwrap().split('.').count() >= 2,
        "pinned: {image}"
    );
    let test = str_list(&db["healthcheck"]["test"]);
    assert_eq!(test[0], "CMD-SHELL");
    assert!(test[1].starts_with("pg_isready"), "{test:?}");
    assert_eq!(db["environment"]["POSTGRES_USER"].as_str(), Some("auth"));
    assert_eq!(db["environment"]["POSTGRES_DB"].as_str(), Some("auth"));
    assert_eq!(db["environment"]["POSTGRES_PASSWORD_FILE"].as_str(), Some("/run/secrets/postgres_password"));
    assert!(db["environment"]["POSTGRES_PASSWORD"].is_badvalue(), "a secret in a file, never a variable");
    assert_eq!(str_list(&db["secrets"]), vec!["postgres_password"]);
    assert_eq!(str_list(&db["volumes"]), vec!["pgdata:/var/lib/postgresql/data"]);
    assert!(!doc["volumes"]["pgdata"].is_badvalue());
    assert!(db["ports"].is_badvalue(), "PostgreSQL is not published outside the compose network");
}

#[test]
fn compose_starts_the_service_after_postgres_is_healthy_and_the_settings_check_out() {
    let doc = compose();
    let auth = &doc["services"]["auth"];
    assert_eq!(auth["build"].as_str(), Some("."));
    assert_eq!(auth["depends_on"]["db"]["condition"].as_str(), Some("service_healthy"));
    // a configuration error (exit 2) stops the one-shot check, and the service never starts to loop
    assert_eq!(auth["depends_on"]["config-check"]["condition"].as_str(), Some("service_completed_successfully"));
    let check = &doc["services"]["config-check"];
    assert_eq!(str_list(&check["command"]), vec!["config", "check"]);
    assert_eq!(check["restart"].as_str(), Some("no"));
    assert_eq!(check["environment"], auth["environment"], "the check reads the service's settings");
    assert_eq!(check["secrets"], auth["secrets"]);
    let env = &auth["environment"];
    assert_eq!(env["APP_ENVIRONMENT"].as_str(), Some("production"));
    assert_eq!(env["APP__DATABASE__URL"].as_str(), Some("postgres://auth@db:5432/auth"), "no password in the URL");
    for (variable, secret) in [
        ("APP__DATABASE__PASSWORD_FILE", "postgres_password"),
        ("APP__TOKENS__SECRET_FILE", "token_secret"),
        ("APP__TOKENS__KEY_ENCRYPTION_KEY_FILE", "key_encryption_key"),
    ] {
        assert_eq!(env[variable].as_str(), Some(format!("/run/secrets/{secret}").as_str()), "{variable}");
        assert!(str_list(&auth["secrets"]).contains(&secret), "{secret}");
        assert_eq!(doc["secrets"][secret]["file"].as_str(), Some(format!("./secrets/{secret}").as_str()));
    }
    for secret in ["APP__TOKENS__SECRET", "APP__TOKENS__KEY_ENCRYPTION_KEY", "APP__DATABASE__PASSWORD"] {
        assert!(env[secret].is_badvalue(), "{secret} as a variable");
    }
    assert_eq!(str_list(&auth["ports"]), vec!["127.0.0.1:8080:8080"], "published on loopback only");
    // metrics for a Prometheus on the compose network, not on the host
    assert_eq!(env["APP__METRICS__BIND"].as_str(), Some("0.0.0.0:9090"));
    assert_eq!(str_list(&auth["expose"]), vec!["9090"]);
    assert_eq!(str_list(&auth["healthcheck"]["test"]), vec!["CMD", "auth-server", "healthcheck"]);
    assert!(repo_file(".gitignore").lines().any(|l| l == "/secrets/"), "the secret files are never committed");
    assert!(repo_file(".dockerignore").lines().any(|l| l == "secrets"), "nor sent to the build");
}

/// Email goes through a pinned Mailpit on the compose network, whose web UI is published on loopback;
/// the service's email settings pass the production checks.
#[test]
fn compose_sends_email_through_mailpit() {
    let doc = compose();
    let mailpit = &doc["services"]["mailpit"];
    let image = mailpit["image"].as_str().unwrap();
    assert!(image.starts_with("axllent/mailpit:v1.") && !image.ends_with(":latest"), "{image}");
    assert_eq!(str_list(&mailpit["ports"]), vec!["127.0.0.1:8025:8025"], "the web UI on loopback only");
    assert_eq!(str_list(&mailpit["expose"]), vec!["1025"]);
    let auth = &doc["services"]["auth"];
    assert_eq!(auth["depends_on"]["mailpit"]["condition"].as_str(), Some("service_started"));
    let env = &auth["environment"];
    assert_eq!(env["APP__EMAIL__TRANSPORT"].as_str(), Some("smtp"));
    assert_eq!(env["APP__EMAIL__SMTP_URL"].as_str(), Some("smtp://mailpit:1025"));
    // the settings compose gives the service, with the secret files' contents, pass `config check`
    let mut vars: Vec<(String, String)> = env
        .as_hash()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_owned(), v.as_str().unwrap_or_default().to_owned()))
        .filter(|(k, _)| !k.ends_with("_FILE") && k != "APP_ENVIRONMENT")
        .map(|(k, v)| {
            (
                k,
                v.replace("${AUTH_PUBLIC_URL:-http://127.0.0.1:8080}", "http://127.0.0.1:8080")
                    .replace("${AUTH_CORS_ALLOWED_ORIGINS:-}", ""),
            )
        })
        .collect();
    vars.push(("APP__TOKENS__SECRET".into(), "u8Jq2m4XvP9zL1cR7tY3wK6nB0dF5hGs-compose-test".into()));
    vars.push(("APP__TOKENS__KEY_ENCRYPTION_KEY".into(), "q8K2mV5xN1cB7zL4tR9wY3pD6fH0jG2sA5eU8iO1kM4=".into()));
    let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let settings = crate::common::load(auth_server::Environment::Production, &pairs);
    settings.validate(auth_server::Environment::Production).unwrap();
    assert!(settings.email.enabled());
}

#[test]
fn the_env_example_names_every_variable_compose_reads() {
    let example = repo_file(".env.example");
    let compose = repo_file("docker-compose.yml");
    let mut read: Vec<&str> = compose.split("${").skip(1).filter_map(|rest| rest.split([':', '}']).next()).collect();
    read.sort_unstable();
    read.dedup();
    assert_eq!(read, ["AUTH_CORS_ALLOWED_ORIGINS", "AUTH_PUBLIC_URL"]);
    for variable in read {
        assert!(
            example.lines().any(|l| l.starts_with(&format!("{variable}="))),
            "{variable} missing from .env.example"
        );
    }
    assert!(repo_file(".gitignore").lines().any(|l| l == "/.env"), ".env must be ignored");
}

#[test]
fn production_config_listens_where_compose_publishes() {
    let production: toml::Table = repo_file("config/production.toml").parse().unwrap();
    assert_eq!(production["server"]["host"].as_str(), Some("0.0.0.0"));
    let default: toml::Table = repo_file("config/default.toml").parse().unwrap();
    assert_eq!(default["server"]["port"].as_integer(), Some(8080));
}

#[test]
fn the_dockerfile_builds_the_binary_the_makefile_runs() {
    let dockerfile = repo_file("Dockerfile");
    let stages: Vec<&str> = dockerfile.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(stages.len(), 4, "chef, planner, builder, runtime: {stages:?}");
    // the images from outside are pinned to a version, and so is cargo-chef
    for stage in stages.iter().filter(|s| !s.starts_with("FROM chef")) {
        let image = stage.split_whitespace().nth(1).unwrap();
        let tag = image.split(':').nth(1).unwrap_or_default();
        assert!(tag.chars().next().is_some_and(|c| c.is_ascii_digit()) && tag.contains('.'), "not pinned: {stage}");
    }
    assert!(dockerfile.contains("RUN cargo install cargo-chef --locked --version "), "cargo-chef pinned");
    assert!(dockerfile.contains("RUN cargo chef prepare --recipe-path recipe.json"));
    assert!(
        dockerfile.contains(
            "RUN cargo chef cook --release --locked --recipe-path recipe.json -p auth-server --bin auth-server"
        )
    );
    assert!(dockerfile.contains("RUN cargo build --release --locked -p auth-server --bin auth-server"));
    assert!(dockerfile.contains(
        r#"HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 CMD ["auth-server", "healthcheck"]"#
    ));
    assert!(repo_file("Makefile").contains("run --locked -p auth-server --bin auth-server"));
    assert!(dockerfile.contains("COPY config /app/config"));
    let ignored = repo_file(".dockerignore");
    for path in ["target", ".env", "data"] {
        assert!(ignored.lines().any(|l| l == path), "{path} must not be sent to the build");
    }
    assert!(dockerfile.contains("COPY --from=builder /src/target/release/auth-server /usr/local/bin/auth-server"));
    assert!(dockerfile.contains("USER auth"), "runs as a non-root user");
    assert!(dockerfile.contains("ENV APP_ENVIRONMENT=production"));
    assert!(dockerfile.contains(r#"ENTRYPOINT ["auth-server"]"#));
    assert!(dockerfile.contains(r#"CMD ["serve"]"#));
    assert!(dockerfile.contains("EXPOSE 8080"));
}
