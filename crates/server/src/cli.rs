use crate::settings::{Environment, Settings};
use crate::startup::{Application, build_auth_service, pool_settings};
use auth_domain::SystemClock;
use clap::{Parser, Subcommand};
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
    Serve,
    /// Apply pending database migrations and exit
    Migrate,
    /// Manage issued tokens
    Tokens {
        #[command(subcommand)]
        command: TokensCommand,
    },
    /// Inspect the settings
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Load and validate the settings; list every problem and exit non-zero if there is one
    Check,
}

#[derive(Debug, Subcommand)]
enum TokensCommand {
    /// Delete the revocations of tokens that have expired
    Prune,
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
                tracing::error!(error = %e, "auth-server failed");
                eprintln!("auth-server: {e}");
                ExitCode::FAILURE
            }
        }
    }

    fn run_command(self, environment: Environment, settings: &Settings) -> Result<(), Box<dyn std::error::Error>> {
        match self.command.unwrap_or(Command::Serve) {
            Command::Serve => {
                tracing::info!(environment = environment.as_str(), "starting auth-service");
                actix_web::rt::System::new()
                    .block_on(async { Application::build(settings)?.run_until_stopped().await.map_err(Into::into) })
            }
            Command::Migrate => {
                let applied = auth_persistence::run_migrations(&pool_settings(settings)?)?;
                report(&format!("applied {} migration(s){}", applied.len(), list(&applied)));
                Ok(())
            }
            // Loading and validation already happened in `run`, which exits 2 listing every problem.
            Command::Config { command: ConfigCommand::Check } => {
                report(&format!("configuration ok (environment: {})", environment.as_str()));
                Ok(())
            }
            Command::Tokens { command: TokensCommand::Prune } => {
                let service = build_auth_service(settings, Arc::new(SystemClock))?;
                let pruned = service.prune_revocations()?;
                report(&format!("pruned {pruned} expired revocation(s)"));
                Ok(())
            }
        }
    }
}

fn list(versions: &[String]) -> String {
    if versions.is_empty() { String::new() } else { format!(": {}", versions.join(", ")) }
}

#[allow(clippy::print_stdout)]
fn report(line: &str) {
    println!("{line}");
}
