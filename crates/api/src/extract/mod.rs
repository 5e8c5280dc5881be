mod authenticated;
mod bodies;
mod client_info;
mod credentials;
mod json;
mod json_object;

pub use authenticated::Authenticated;
pub use bodies::{
    AccountDeletionRequest, EmailChangeRequest, ForgotPasswordRequest, LinkTokenRequest, PasswordChangeRequest,
    PasswordResetRequest, RefreshRequest,
};
pub use client_info::ClientDetails;
pub use credentials::Credentials;
pub use json::MAX_BODY_BYTES;
pub(crate) use json::json_config;
pub use json_object::JsonObject;
