//! What `Settings::validate` refuses: numbers out of the range their owner can serve, in every
//! environment; weak, short or shipped secrets in production; a shipped secret on a public address.

use super::{
    AbuseSettings, AuditSettings, EmailSettings, EmailTransport, Environment, RevocationSettings, ServerSettings,
    Settings, SettingsError, TokenSettings,
};
use auth_domain::{SessionPolicy, ThrottlePolicy};
use auth_persistence::PoolSettings;
use secrecy::ExposeSecret;
use std::ops::RangeInclusive;

/// The settings committed in `config/`.
const SHIPPED_CONFIG_FILES: [&str; 4] = [
    include_str!("../../../../config/default.toml"),
    include_str!("../../../../config/development.toml"),
    include_str!("../../../../config/test.toml"),
    include_str!("../../../../config/production.toml"),
];

/// Every other text the repository ships that shows a secret's value as an example: a value copied from
/// any of them is public, however random it looks.
const SHIPPED_TEXTS: [&str; 6] = [
    include_str!("../../../../.env.example"),
    include_str!("../../../../README.md"),
    include_str!("../../../../docs/OPERATIONS.md"),
    include_str!("../../../../docs/SECURITY.md"),
    include_str!("../../../../docker-compose.yml"),
    include_str!("../../../../crates/verify/README.md"),
];

/// zxcvbn's estimate of the guesses a secret would take, below which it is refused: 10^16 (about 53
/// bits) is far past any word list, and far below a secret from `openssl rand` (zxcvbn stops counting
/// near 10^19 for such strings).
const MIN_SECRET_GUESSES_LOG10: f64 = 16.0;

pub const MIN_PRODUCTION_SECRET_BYTES: usize = 32;
pub const MIN_SECRET_DISTINCT_BYTES: usize = 16;
pub const MAX_PRODUCTION_LEEWAY_SECS: u64 = 60;
pub const MIN_PRODUCTION_BCRYPT_COST: u32 = 10;

/// Whether `value` is shipped anywhere in the repository: one of the values in `config/`, or text of
/// `.env.example`, the README, the docs or the compose file (an example a person may have copied).
fn shipped(value: &str, key: &str) -> bool {
    let value = value.trim();
    shipped_values(key).iter().any(|s| s.trim() == value)
        || (value.len() >= 8 && SHIPPED_CONFIG_FILES.iter().chain(&SHIPPED_TEXTS).any(|text| text.contains(value)))
}

/// The values of `tokens.<key>` committed in `config/`.
fn shipped_values(key: &str) -> Vec<String> {
    SHIPPED_CONFIG_FILES
        .iter()
        .filter_map(|file| file.parse::<toml::Table>().ok())
        .filter_map(|table| table.get("tokens")?.get(key)?.as_str().map(str::to_owned))
        .filter(|value| !value.is_empty())
        .collect()
}

impl Settings {
    /// Every problem at once, each naming the setting and its environment variable.
    pub fn validate(&self, environment: Environment) -> Result<(), SettingsError> {
        let mut problems = Vec::new();
        self.check_secret(environment, &mut problems);
        self.check_signing(environment, &mut problems);
        self.check_email(environment, &mut problems);
        if environment == Environment::Production {
            if self.tokens.leeway_secs > MAX_PRODUCTION_LEEWAY_SECS {
                problems.push(format!(
                    "tokens.leeway_secs is {}; production allows at most {MAX_PRODUCTION_LEEWAY_SECS} (APP__TOKENS__LEEWAY_SECS)",
                    self.tokens.leeway_secs
                ));
            }
            if self.cors.allowed_origins.iter().any(|o| o == "*") {
                problems.push(
                    "cors.allowed_origins contains \"*\"; production needs the exact origins (APP__CORS__ALLOWED_ORIGINS)".to_owned(),
                );
            }
            if self.password.bcrypt_cost < MIN_PRODUCTION_BCRYPT_COST {
                problems.push(format!(
                    "password.bcrypt_cost is {}; production needs at least {MIN_PRODUCTION_BCRYPT_COST} (APP__PASSWORD__BCRYPT_COST)",
                    self.password.bcrypt_cost
                ));
            }
        }
        self.check_ranges(&mut problems);
        if let Err(e) = PoolSettings::try_from(&self.database) {
            problems.push(format!("{e} (APP__DATABASE__URL)"));
        }
        if self.tokens.issuer.is_empty() {
            problems.push("tokens.issuer must not be empty (APP__TOKENS__ISSUER)".to_owned());
        }
        for origin in self.cors.allowed_origins.iter().filter(|o| *o != "*") {
            if !(origin.starts_with("http://") || origin.starts_with("https://")) || origin.ends_with('/') {
                problems.push(format!(
                    "cors.allowed_origins entry \"{origin}\" must look like https://host[:port] (APP__CORS__ALLOWED_ORIGINS)"
                ));
            }
        }
        if !self.metrics.bind.is_empty() && self.metrics.bind.parse::<std::net::SocketAddr>().is_err() {
            problems.push(format!(
                "metrics.bind \"{}\" must be empty or host:port (APP__METRICS__BIND)",
                self.metrics.bind
            ));
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            problems.push(format!("log.level \"{}\" is not a valid filter (APP__LOG__LEVEL)", self.log.level));
        }
        if problems.is_empty() { Ok(()) } else { Err(SettingsError::Invalid(problems)) }
    }

    /// Production needs a secret of its own: long, varied, and none of the values shipped in `config/`.
    /// Any environment refuses a shipped secret on an address other computers can reach: the
    /// development secret is public, and a token signed with it would be accepted.
    /// The algorithm, and with EdDSA the key-encryption key: 32 bytes of base64, and in production one
    /// of the operator's own.
    fn check_signing(&self, environment: Environment, problems: &mut Vec<String>) {
        let tokens = &self.tokens;
        in_range(problems, "tokens.key_rotation_days", tokens.key_rotation_days, TokenSettings::KEY_ROTATION_DAYS);
        in_range(
            problems,
            "tokens.key_publish_lead_secs",
            tokens.key_publish_lead_secs,
            TokenSettings::KEY_PUBLISH_LEAD_SECS,
        );
        in_range(problems, "tokens.key_refresh_secs", tokens.key_refresh_secs, TokenSettings::KEY_REFRESH_SECS);
        // The key-encryption key matters with EdDSA, and with email (it seals the links the outbox holds);
        // every range is checked either way.
        if !tokens.eddsa() && !self.email.enabled() {
            return;
        }
        let kek = tokens.key_encryption_key.expose_secret();
        if kek.trim().is_empty() {
            problems.push(
                "tokens.key_encryption_key is not set: set APP__TOKENS__KEY_ENCRYPTION_KEY to 32 random bytes in base64 \
                 (`openssl rand -base64 32`); it seals the signing keys and the outbox's links in the database"
                    .to_owned(),
            );
        } else if auth_domain::KeyEncryptionKey::from_base64(kek).is_err() {
            problems.push(
                "tokens.key_encryption_key must be 32 bytes in base64, e.g. `openssl rand -base64 32` \
                 (APP__TOKENS__KEY_ENCRYPTION_KEY)"
                    .to_owned(),
            );
        } else if environment == Environment::Production && shipped(kek, "key_encryption_key") {
            problems.push(
                "tokens.key_encryption_key is a value shipped in config/, .env.example or the docs: set \
                 APP__TOKENS__KEY_ENCRYPTION_KEY to a key of your own"
                    .to_owned(),
            );
        }
    }

    /// The transport and what it needs: production never writes links to the log, SMTP needs a URL it can
    /// use and (in production) the public address links start with; the mailer itself (the sender, the
    /// templates) must build.
    fn check_email(&self, environment: Environment, problems: &mut Vec<String>) {
        let email = &self.email;
        for (key, value) in [
            ("email.verify_ttl_secs", email.verify_ttl_secs),
            ("email.reset_ttl_secs", email.reset_ttl_secs),
            ("email.change_ttl_secs", email.change_ttl_secs),
        ] {
            in_range(problems, key, value, auth_domain::MailPolicy::TTL_SECS);
        }
        in_range(problems, "email.smtp_timeout_secs", email.smtp_timeout_secs, EmailSettings::SMTP_TIMEOUT_SECS);
        in_range(
            problems,
            "email.max_per_address_per_hour",
            email.max_per_address_per_hour,
            EmailSettings::MAX_PER_ADDRESS_PER_HOUR,
        );
        in_range(problems, "email.max_attempt_hours", email.max_attempt_hours, EmailSettings::MAX_ATTEMPT_HOURS);
        in_range(problems, "email.retention_days", email.retention_days, EmailSettings::RETENTION_DAYS);
        if email.require_verification && !email.enabled() {
            problems.push(
                "email.require_verification needs email: with email.transport = \"none\" nobody could verify \
                 (APP__EMAIL__REQUIRE_VERIFICATION)"
                    .to_owned(),
            );
        }
        match email.transport {
            EmailTransport::None => return,
            EmailTransport::Log if environment == Environment::Production => {
                problems.push(
                    "email.transport is \"log\", which writes every link (a credential) to the log; production needs \
                     \"smtp\" or \"none\" (APP__EMAIL__TRANSPORT)"
                        .to_owned(),
                );
                return;
            }
            EmailTransport::Smtp if email.smtp_url.expose_secret().trim().is_empty() => {
                problems.push(
                    "email.smtp_url is not set: email.transport = \"smtp\" needs smtp://user:password@host:port or \
                     smtps://... (APP__EMAIL__SMTP_URL or APP__EMAIL__SMTP_URL_FILE)"
                        .to_owned(),
                );
                return;
            }
            EmailTransport::Smtp if environment == Environment::Production && email.public_url.trim().is_empty() => {
                problems.push(
                    "email.public_url is not set: production needs the address links in emails start with, e.g. \
                     https://auth.example.com (APP__EMAIL__PUBLIC_URL)"
                        .to_owned(),
                );
                return;
            }
            EmailTransport::Log | EmailTransport::Smtp => {}
        }
        let built = email
            .mailer()
            .map_err(|e| format!("{e} (APP__EMAIL__SMTP_URL)"))
            .and_then(|settings| auth_mail::Mailer::new(settings).map(drop).map_err(|e| with_variable(e.to_string())));
        if let Err(problem) = built {
            problems.push(problem);
        }
    }

    fn check_secret(&self, environment: Environment, problems: &mut Vec<String>) {
        let secret = self.tokens.secret.expose_secret();
        let shipped = shipped(secret, "secret");
        if environment == Environment::Production {
            if secret.is_empty() {
                problems
                    .push("tokens.secret is not set: set APP__TOKENS__SECRET to at least 32 random bytes".to_owned());
            } else if secret.len() < MIN_PRODUCTION_SECRET_BYTES {
                problems.push(format!(
                    "tokens.secret is {} bytes; production needs at least {MIN_PRODUCTION_SECRET_BYTES} (APP__TOKENS__SECRET)",
                    secret.len()
                ));
            } else if shipped {
                problems.push(
                    "tokens.secret is a value shipped in config/, .env.example or the docs: set APP__TOKENS__SECRET \
                     to a secret of your own"
                        .to_owned(),
                );
            } else if let Some(why) = weak_secret(secret) {
                problems.push(format!(
                    "tokens.secret {why}: use random bytes, e.g. `openssl rand -base64 48` (APP__TOKENS__SECRET)"
                ));
            }
        } else if secret.is_empty() {
            problems.push("tokens.secret must not be empty (APP__TOKENS__SECRET)".to_owned());
        } else if shipped && !is_loopback(&self.server.host) {
            problems.push(format!(
                "server.host {} is reachable from other machines, and tokens.secret is a value shipped in config/, \
                 .env.example or the docs: set APP__TOKENS__SECRET to a secret of your own, or listen on 127.0.0.1 \
                 (APP__SERVER__HOST)",
                self.server.host
            ));
        }
    }

    /// Every number within the range its owner (this crate, the token codec, the hasher, the pool)
    /// can serve, in every environment.
    fn check_ranges(&self, problems: &mut Vec<String>) {
        let server = &self.server;
        in_range(problems, "server.workers", server.workers, ServerSettings::WORKERS);
        in_range(
            problems,
            "server.blocking_threads_per_worker",
            server.blocking_threads_per_worker,
            ServerSettings::BLOCKING_THREADS_PER_WORKER,
        );
        in_range(
            problems,
            "server.shutdown_timeout_secs",
            server.shutdown_timeout_secs,
            ServerSettings::SHUTDOWN_TIMEOUT_SECS,
        );
        in_range(problems, "server.body_timeout_ms", server.body_timeout_ms, ServerSettings::BODY_TIMEOUT_MS);
        in_range(
            problems,
            "server.max_connections_per_worker",
            server.max_connections_per_worker,
            ServerSettings::MAX_CONNECTIONS_PER_WORKER,
        );
        in_range(problems, "server.listen_backlog", server.listen_backlog, ServerSettings::LISTEN_BACKLOG);
        if let Err(problem) = server.connections_per_worker(self.database.pool_max_size) {
            problems.push(problem);
        }
        let db = &self.database;
        in_range(problems, "database.pool_max_size", db.pool_max_size, PoolSettings::MAX_SIZE);
        in_range(problems, "database.acquire_timeout_ms", db.acquire_timeout_ms, PoolSettings::ACQUIRE_TIMEOUT_MS);
        in_range(
            problems,
            "database.statement_timeout_ms",
            db.statement_timeout_ms,
            PoolSettings::STATEMENT_TIMEOUT_MS,
        );
        in_range(
            problems,
            "database.sqlite_busy_timeout_ms",
            db.sqlite_busy_timeout_ms,
            PoolSettings::SQLITE_BUSY_TIMEOUT_MS,
        );
        in_range(
            problems,
            "tokens.access_ttl_secs",
            self.tokens.access_ttl_secs,
            1..=auth_domain::TokenCodec::MAX_TTL_SECS,
        );
        in_range(problems, "tokens.leeway_secs", self.tokens.leeway_secs, 0..=auth_domain::TokenCodec::MAX_LEEWAY_SECS);
        in_range(
            problems,
            "tokens.prune_interval_secs",
            self.tokens.prune_interval_secs,
            TokenSettings::PRUNE_INTERVAL_SECS,
        );
        in_range(problems, "password.min_length", self.password.min_length, 1..=auth_domain::MAX_PASSWORD_CHARS);
        in_range(
            problems,
            "password.bcrypt_cost",
            self.password.bcrypt_cost,
            auth_domain::PasswordHasher::MIN_COST..=auth_domain::PasswordHasher::MAX_COST,
        );
        let sessions = &self.sessions;
        in_range(problems, "sessions.refresh_ttl_secs", sessions.refresh_ttl_secs, SessionPolicy::REFRESH_TTL_SECS);
        in_range(problems, "sessions.max_lifetime_secs", sessions.max_lifetime_secs, SessionPolicy::MAX_LIFETIME_SECS);
        in_range(
            problems,
            "sessions.refresh_reuse_grace_secs",
            sessions.refresh_reuse_grace_secs,
            SessionPolicy::REUSE_GRACE_SECS,
        );
        in_range(problems, "sessions.max_per_user", sessions.max_per_user, SessionPolicy::MAX_PER_USER);
        let abuse = &self.abuse;
        in_range(problems, "abuse.window_secs", abuse.window_secs, ThrottlePolicy::WINDOW_SECS);
        in_range(problems, "audit.retention_days", self.audit.retention_days, AuditSettings::RETENTION_DAYS);
        let revocations = &self.revocations;
        in_range(
            problems,
            "revocations.max_subscribers",
            revocations.max_subscribers,
            RevocationSettings::MAX_SUBSCRIBERS,
        );
        in_range(
            problems,
            "revocations.poll_interval_ms",
            revocations.poll_interval_ms,
            RevocationSettings::POLL_INTERVAL_MS,
        );
        for (name, value) in [
            ("abuse.login_pair_max_failures", abuse.login_pair_max_failures),
            ("abuse.login_email_max_failures", abuse.login_email_max_failures),
            ("abuse.login_ip_max_failures", abuse.login_ip_max_failures),
            ("abuse.register_per_ip_per_hour", abuse.register_per_ip_per_hour),
            ("abuse.forgot_per_ip_per_hour", abuse.forgot_per_ip_per_hour),
        ] {
            in_range(problems, name, value, AbuseSettings::MAX_FAILURES);
        }
        if let Err(bad) = self.server.trusted_proxies() {
            problems.extend(bad);
        }
        if sessions.max_lifetime_secs < sessions.refresh_ttl_secs {
            problems.push(
                "sessions.max_lifetime_secs must be at least sessions.refresh_ttl_secs (APP__SESSIONS__MAX_LIFETIME_SECS)"
                    .to_owned(),
            );
        }
        in_range(
            problems,
            "password.max_concurrent_hashes",
            self.password.max_concurrent_hashes,
            auth_bcrypt::HashCapacity::CONFIGURED,
        );
        in_range(
            problems,
            "password.max_waiting_hashes",
            self.password.max_waiting_hashes,
            auth_api::HashLimiter::MAX_WAITING,
        );
    }
}

/// `key must be between a and b (got v) (APP__KEY)` when `value` is outside `range`.
fn in_range<T: PartialOrd + std::fmt::Display>(
    problems: &mut Vec<String>,
    key: &str,
    value: T,
    range: RangeInclusive<T>,
) {
    if !range.contains(&value) {
        problems.push(with_variable(format!(
            "{key} must be between {} and {} (got {value})",
            range.start(),
            range.end()
        )));
    }
}

/// Appends the environment variable of the setting a problem starts with: `database.pool_max_size ...`
/// gets `(APP__DATABASE__POOL_MAX_SIZE)`.
fn with_variable(problem: String) -> String {
    let key = problem.split_whitespace().next().unwrap_or_default().trim_end_matches([':', ',', '.']);
    format!("{problem} (APP__{})", key.replace('.', "__").to_ascii_uppercase())
}

/// Too little variety to be random: fewer than 16 distinct bytes, or one byte in more than a quarter
/// of the places (`aaaa...`, 32 spaces, a short word repeated).
fn weak_secret(secret: &str) -> Option<&'static str> {
    let bytes = secret.as_bytes();
    let mut counts = [0usize; 256];
    for &b in bytes {
        counts[usize::from(b)] += 1;
    }
    let distinct = counts.iter().filter(|&&c| c > 0).count();
    let most = counts.iter().copied().max().unwrap_or(0);
    if distinct < MIN_SECRET_DISTINCT_BYTES {
        Some("has too few different characters to be random")
    } else if most * 4 > bytes.len() {
        Some("repeats one character too often to be random")
    } else if zxcvbn::zxcvbn(secret, &[]).guesses_log10() < MIN_SECRET_GUESSES_LOG10 {
        Some("is made of words, sequences or repeats that are easy to guess")
    } else {
        None
    }
}

/// `127.0.0.1`, `::1`, `localhost`: addresses only this machine can reach.
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
