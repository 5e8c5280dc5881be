//! The HTTP face of auth-service: the Flask tutorial's wire contract (paths, JSON shapes, messages and
//! status codes) served by actix-web over the domain's use cases.

mod blocking;
mod client;
mod client_ip;
mod error;
mod extract;
mod hash_limiter;
mod observe;
mod openapi;
mod routes;
mod token_check_lanes;
mod wire;

pub use blocking::run_blocking;
pub use client::{BodyTimeout, ClientConnection, ClientSocket};
pub use client_ip::{ForwardedHeader, TrustedProxies};
pub use error::ApiError;
pub use extract::{AuthHeaderError, BearerToken, Credentials, MAX_BODY_BYTES, parse_authorization};
pub use hash_limiter::HashLimiter;
pub use openapi::openapi;
pub use routes::metrics::{MetricsSource, metrics};
pub use routes::{configure, routes};
pub use token_check_lanes::TokenCheckLanes;
