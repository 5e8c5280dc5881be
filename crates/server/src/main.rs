use clap::Parser;

fn main() -> std::process::ExitCode {
    auth_server::cli::Cli::parse().run()
}
