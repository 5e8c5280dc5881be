//! The HTTP face of auth-service: the Flask tutorial's wire contract (paths, JSON shapes, messages and
//! status codes) served by actix-web over the domain's use cases.

mod authenticator;
mod blocking;
mod client;
mod client_ip;
mod error;
mod extract;
mod feed_hub;
mod hash_limiter;
mod observe;
mod openapi;
mod routes;
mod wire;

pub use authenticator::Authenticator;
pub use blocking::run_blocking;
pub use client::{BodyTimeout, ClientConnection, ClientSocket};
pub use client_ip::{ForwardedHeader, TrustedProxies};
pub use error::ApiError;
pub use extract::{Authenticated, Credentials, MAX_BODY_BYTES};
pub use feed_hub::{FeedHub, GAP_WAIT};
pub use hash_limiter::{HashLimiter, HashPermit};
pub use openapi::openapi;
pub use routes::metrics::{MetricsSource, metrics};
pub use routes::{configure, routes};
