use crate::settings::{Environment, Settings};
use crate::startup::{Application, Components};
use auth_domain::SystemClock;
use auth_persistence::PoolSettings;
use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(name = "auth-server", version, about = "JWT authentication service (register, login, status, logout)")]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply pending migrations and serve the HTTP API (the default)
    Serve {
        /// Once listening, print `listening on HOST:PORT` on standard output (with `server.port` 0,
        /// the port the system picked)
        #[arg(long)]
        print_address: bool,
    },
    /// Apply pending database migrations and exit
    Migrate,
    /// Manage issued tokens
    Tokens {
        #[command(subcommand)]
        command: TokensCommand,
    },
    /// Manage users
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Exit 0 if the service on this machine is ready (GET /health/ready), 1 otherwise (for HEALTHCHECK)
    Healthcheck {
        /// The readiness URL; default http://127.0.0.1:<server.port>/health/ready
        #[arg(long)]
        url: Option<String>,
    },
    /// Manage the EdDSA signing keys
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Print security events as JSON lines, newest first
    Events {
        /// Only events of this email (as recorded, or of the user who has it now)
        #[arg(long)]
        email: Option<String>,
        /// Only events at or after this time (RFC 3339, e.g. 2026-11-29T12:00:00Z)
        #[arg(long, value_parser = parse_time)]
        since: Option<chrono::DateTime<chrono::Utc>>,
        /// At most this many (1 to 1000)
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: u32,
    },
    /// The email outbox: what was queued, sent or given up
    Outbox {
        #[command(subcommand)]
        command: OutboxCommand,
    },
    /// Inspect the settings
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from standard input (or asked for on a terminal), never an argument
    Create {
        #[arg(long)]
        email: String,
        /// Make the user an administrator
        #[arg(long)]
        admin: bool,
    },
    /// Grant or take away administrator rights
    SetAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, action = clap::ArgAction::Set, value_parser = clap::value_parser!(bool))]
        admin: bool,
    },
    /// Delete a user as DELETE /auth/account does: their sessions, tokens, links, counters and unsent
    /// emails go; their events stay, without the address
    Delete {
        #[arg(long)]
        email: String,
    },
    /// List a user's live sessions, newest first
    Sessions {
        #[arg(long)]
        email: String,
    },
    /// End every session of a user: their refresh tokens die and their access tokens are refused
    LogoutEverywhere {
        #[arg(long)]
        email: String,
    },
    /// Clear an email's failed-login counters (alone and with every client), so it may log in at once
    Unlock {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
enum OutboxCommand {
    /// The newest rows, tab-separated (never a link): id, kind, recipient, state, attempts, created, next
    /// attempt, sent, last error
    List {
        /// Only rows in this state
        #[arg(long, value_parser = ["queued", "sent", "dead", "no_account"])]
        state: Option<String>,
        /// At most this many (1 to 1000)
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: u32,
    },
    /// Queue a given-up (dead) or waiting email again: due now, with a fresh email.max_attempt_hours
    Retry {
        /// The row's id (`outbox list`)
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Load and validate the settings; list every problem and exit non-zero if there is one
    Check,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Every signing key: kid, created, signs from, signs until, retires at, state
    List,
    /// Add a key now; it signs once tokens.key_publish_lead_secs have passed
    Rotate,
    /// Take a key out of use (it leaked): it leaves the JWKS, and every instance refuses its tokens within
    /// tokens.key_refresh_secs; when it was the key signing, a new one signs at once
    Revoke {
        /// The key's kid (`keys list`); a kid is base64url, so it may begin with '-'
        #[arg(allow_hyphen_values = true)]
        kid: String,
    },
}

#[derive(Debug, Subcommand)]
enum TokensCommand {
    /// Delete what can no longer matter: revocations of expired tokens, sessions whose tokens have all
    /// expired (ended, idle past sessions.refresh_ttl_secs or past sessions.max_lifetime_secs), attempt
    /// counters whose window ended, and security events older than audit.retention_days
    Prune,
    /// For load tests: start COUNT sessions of an existing user (no password asked; each a
    /// `session_minted` event) and print one access token of each, a line each
    #[command(hide = true)]
    Mint {
        #[arg(long)]
        email: String,
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
        count: u32,
    },
}

impl Cli {
    /// Loads and checks the settings, starts logging, then runs the command.
    pub fn run(self) -> ExitCode {
        let (environment, settings) = match Settings::load().and_then(|(env, s)| s.validate(env).map(|()| (env, s))) {
            Ok(loaded) => loaded,
            Err(e) => {
                eprintln!("auth-server: {e}");
                return ExitCode::from(2);
            }
        };
        crate::telemetry::init(&settings.log);
        match self.run_command(environment, &settings) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                let chain = auth_domain::ErrorChain(e.as_ref());
                tracing::error!(error = %chain, "auth-server failed");
                eprintln!("auth-server: {chain}");
                ExitCode::FAILURE
            }
        }
    }

    fn run_command(self, environment: Environment, settings: &Settings) -> Result<(), Box<dyn std::error::Error>> {
        match self.command.unwrap_or(Command::Serve { print_address: false }) {
            Command::Serve { print_address } => {
                tracing::info!(environment = environment.as_str(), "starting auth-service");
                actix_web::rt::System::new().block_on(async {
                    let application = Application::build(settings)?;
                    if print_address {
                        report(&format!("listening on {}:{}", settings.server.host, application.port()));
                    }
                    application.run_until_stopped().await.map_err(Into::into)
                })
            }
            Command::Migrate => {
                let applied = auth_persistence::run_migrations(&PoolSettings::try_from(&settings.database)?)?;
                report(&format!("applied {} migration(s){}", applied.len(), list(&applied)));
                Ok(())
            }
            // Loading and validation already happened in `run`, which exits 2 listing every problem.
            Command::Config { command: ConfigCommand::Check } => {
                report(&format!("configuration ok (environment: {})", environment.as_str()));
                Ok(())
            }
            Command::User { command } => run_user_command(command, settings),
            Command::Healthcheck { url } => {
                let host = match settings.server.host.as_str() {
                    "0.0.0.0" | "::" | "[::]" => "127.0.0.1",
                    host => host,
                };
                let url = url.unwrap_or_else(|| format!("http://{host}:{}/health/ready", settings.server.port));
                crate::healthcheck::check(&url)?;
                report("ready");
                Ok(())
            }
            Command::Keys { command } => {
                let components = Components::build(settings, Arc::new(SystemClock))?;
                let service = components.service();
                let no_keys =
                    || "tokens.algorithm is HS256: there are no signing keys (set APP__TOKENS__ALGORITHM=EdDSA)";
                match command {
                    KeysCommand::List => report(&key_table(&service.signing_keys().ok_or_else(no_keys)??)),
                    KeysCommand::Rotate => {
                        let kid = service.rotate_signing_key().ok_or_else(no_keys)??;
                        report(&format!(
                            "added signing key {kid}; it signs from {} seconds from now",
                            settings.tokens.key_publish_lead_secs
                        ));
                    }
                    KeysCommand::Revoke { kid } => {
                        let replacement = service.revoke_signing_key(&kid).ok_or_else(no_keys)??;
                        report(&format!(
                            "revoked signing key {kid}; every instance refuses its tokens within {} seconds{}",
                            settings.tokens.key_refresh_secs,
                            replacement.map_or_else(String::new, |new| format!("; key {new} signs from now"))
                        ));
                    }
                }
                Ok(())
            }
            Command::Outbox { command: OutboxCommand::List { state, limit } } => {
                let rows =
                    Components::build(settings, Arc::new(SystemClock))?.service().outbox(state.as_deref(), limit)?;
                report(&outbox_table(&rows));
                Ok(())
            }
            Command::Outbox { command: OutboxCommand::Retry { id } } => {
                if !Components::build(settings, Arc::new(SystemClock))?.service().retry_mail(id)? {
                    return Err(format!("no unsent email has the id {id}").into());
                }
                report(&format!(
                    "email {id} queued again; a running instance sends it within {} seconds",
                    OUTBOX_POLL_SECS
                ));
                Ok(())
            }
            Command::Events { email, since, limit } => {
                let email = email.map(|e| auth_domain::Email::parse(&e).map(|e| e.as_str().to_owned())).transpose()?;
                let query = auth_domain::EventQuery { email, since, limit };
                let events = Components::build(settings, Arc::new(SystemClock))?.service().events(&query)?;
                for event in events {
                    report(&event_line(&event));
                }
                Ok(())
            }
            Command::Tokens { command: TokensCommand::Mint { email, count } } => {
                let components = Components::build(settings, Arc::new(SystemClock))?;
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                for _ in 0..count {
                    let issued = components.service().mint_session(&email)?;
                    std::io::Write::write_all(&mut out, issued.access.token.expose_secret().as_bytes())?;
                    std::io::Write::write_all(&mut out, b"\n")?;
                }
                std::io::Write::flush(&mut out)?;
                Ok(())
            }
            Command::Tokens { command: TokensCommand::Prune } => {
                let pruned = Components::build(settings, Arc::new(SystemClock))?.service().prune()?;
                report(&format!(
                    "pruned {} expired revocation(s), {} ended or expired session(s), {} attempt counter(s) and {} event(s)",
                    pruned.revocations, pruned.sessions, pruned.counters, pruned.events
                ));
                Ok(())
            }
        }
    }
}

/// How often a running instance looks for due emails without a wake-up (`outbox_sender.rs`).
pub(crate) const OUTBOX_POLL_SECS: u64 = 5;

/// One line per outbox row (tab-separated, a header first).
fn outbox_table(rows: &[auth_domain::OutboxRow]) -> String {
    let time = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut lines = vec!["id\tkind\trecipient\tstate\tattempts\tcreated\tnext attempt\tsent\tlast error".to_owned()];
    for row in rows {
        lines.push(format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            row.id,
            row.kind,
            row.recipient,
            row.state,
            row.attempts,
            time(row.created_at),
            time(row.next_attempt_at),
            row.sent_at.map_or_else(|| "-".to_owned(), time),
            row.last_error.as_deref().unwrap_or("-").replace(['\t', '\n'], " ")
        ));
    }
    lines.join("\n")
}

/// One line per key (tab-separated, a header first); `-` for a date that is not set yet.
fn key_table(keys: &[auth_domain::KeyInfo]) -> String {
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or_else(|| "-".to_owned(), |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    };
    let mut lines = vec!["kid\tcreated\tsigns from\tsigns until\tretires at\tstate".to_owned()];
    lines.extend(keys.iter().map(|k| {
        format!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            k.kid,
            time(Some(k.created_at)),
            time(Some(k.signs_from)),
            time(k.signs_until),
            time(k.retires_at),
            k.state.as_str()
        )
    }));
    lines.join("\n")
}

fn parse_time(raw: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| format!("not an RFC 3339 time ({e})"))
}

/// One event as a JSON object on one line, with the fields and names of `GET /admin/events`.
fn event_line(event: &auth_domain::Event) -> String {
    serde_json::json!({
        "at": event.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "kind": event.kind,
        "user_id": event.user_id.map(|id| id.0),
        "email": event.email,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "session_id": event.session_id,
        "count": event.count,
    })
    .to_string()
}

fn run_user_command(command: UserCommand, settings: &Settings) -> Result<(), Box<dyn std::error::Error>> {
    let components = Components::build(settings, Arc::new(SystemClock))?;
    let service = components.service();
    match command {
        UserCommand::Create { email, admin } => {
            let password = read_password()?;
            let user = service.create_user(&email, password, admin).map_err(|e| match e {
                auth_domain::RegisterError::AlreadyExists => "a user with this email already exists".into(),
                other => Box::<dyn std::error::Error>::from(other.to_string()),
            })?;
            report(&format!("created user {} ({}){}", user.id, user.email, if user.admin { ", admin" } else { "" }));
        }
        UserCommand::SetAdmin { email, admin } => {
            let user = service.set_admin(&email, admin)?;
            report(&format!("user {} ({}) admin: {}", user.id, user.email, user.admin));
        }
        UserCommand::Delete { email } => {
            let email = auth_domain::Email::parse(&email)?;
            service.delete_user(email.as_str())?;
            report(&format!("deleted {email}"));
        }
        UserCommand::Sessions { email } => {
            let (user, sessions) = service.sessions_of(&email)?;
            report(&session_table(&sessions));
            report(&format!("{} live session(s) of user {} ({})", sessions.len(), user.id, user.email));
        }
        UserCommand::LogoutEverywhere { email } => {
            let ended = service.logout_everywhere(&email)?;
            report(&format!("ended {ended} session(s) of {}", auth_domain::Email::parse(&email)?));
        }
        UserCommand::Unlock { email } => {
            let cleared = service.unlock(&email)?;
            report(&format!("cleared {cleared} failed-login counter(s) of {}", auth_domain::Email::parse(&email)?));
        }
    }
    Ok(())
}

/// One line per session: id, created, last active, ip, user agent (tab-separated, a header first).
fn session_table(sessions: &[auth_domain::SessionInfo]) -> String {
    use chrono::SecondsFormat::Secs;
    let mut lines = vec!["id\tcreated\tlast active\tip\tuser agent".to_owned()];
    for s in sessions {
        lines.push(format!(
            "{}\t{}\t{}\t{}\t{}",
            s.id,
            s.created_on.to_rfc3339_opts(Secs, true),
            s.last_active_on.to_rfc3339_opts(Secs, true),
            s.client.ip.as_deref().unwrap_or("-"),
            s.client.user_agent.as_deref().unwrap_or("-"),
        ));
    }
    lines.join("\n")
}

/// From a terminal: asked for without echo. Otherwise: the first line of standard input.
fn read_password() -> Result<secrecy::SecretString, Box<dyn std::error::Error>> {
    use std::io::IsTerminal;
    let password = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Password: ")?
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.trim_end_matches(['\n', '\r']).to_owned()
    };
    if password.is_empty() {
        return Err("no password given on standard input".into());
    }
    Ok(secrecy::SecretString::from(password))
}

fn list(versions: &[String]) -> String {
    if versions.is_empty() { String::new() } else { format!(": {}", versions.join(", ")) }
}

#[allow(clippy::print_stdout)]
fn report(line: &str) {
    println!("{line}");
}
