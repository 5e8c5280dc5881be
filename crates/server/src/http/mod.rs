//! What the server adds around the api crate's routes: request spans and ids, request metrics, CORS
//! and the Prometheus endpoint.

mod cors;
mod metrics_endpoint;
mod observe;
mod request_span;

pub use cors::cors;
pub use metrics_endpoint::{MetricsEndpoint, install_recorder, spawn_metrics_upkeep};
pub use observe::observe;
pub use request_span::RequestSpan;
