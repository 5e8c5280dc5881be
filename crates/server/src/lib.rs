//! The auth-service binary's library half: settings, telemetry, the composition root and the CLI.
//! Tests build the same `Application` the binary runs.

pub mod cli;
mod feed_task;
mod healthcheck;
pub mod http;
mod key_task;
mod listener;
mod outbox_sender;
pub mod settings;
pub mod startup;
pub mod telemetry;

pub use settings::{Environment, Settings};
pub use startup::{Application, Components, MetricsPlacement, StartupError};
