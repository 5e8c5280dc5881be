mod bearer;
mod credentials;
mod json;

pub use bearer::{AuthHeaderError, BearerToken, parse_authorization};
pub use credentials::Credentials;
pub use json::MAX_BODY_BYTES;
pub(crate) use json::json_config;
