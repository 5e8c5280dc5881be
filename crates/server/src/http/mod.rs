//! What the server adds around the api crate's routes: request spans and ids, request metrics, CORS
//! and the Prometheus endpoint.

mod cors;
mod head_errors;
mod metrics_endpoint;
mod observe;
mod request_span;
mod server;

pub use cors::cors;
pub use head_errors::JsonParseErrors;
pub use metrics_endpoint::{MetricsEndpoint, install_recorder, spawn_metrics_upkeep};
pub use observe::observe;
pub use request_span::RequestSpan;
pub use server::{ServerOptions, serve};
