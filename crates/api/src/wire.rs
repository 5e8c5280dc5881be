//! The JSON bodies the API reads and writes that more than one route (or the OpenAPI document) names.

use serde::Serialize;

/// `{"status": "fail" | "success", "message": ...}`: every error, and the answers that carry only a message.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct MessageBody<'a> {
    #[schema(pattern = "^(success|fail)$")]
    pub status: &'static str,
    pub message: &'a str,
}

impl<'a> MessageBody<'a> {
    pub fn success(message: &'a str) -> Self {
        Self { status: "success", message }
    }

    pub fn fail(message: &'a str) -> Self {
        Self { status: "fail", message }
    }
}

/// A successful registration or login.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct TokenBody<'a> {
    #[schema(pattern = "^success$")]
    pub status: &'static str,
    pub message: &'static str,
    pub auth_token: &'a str,
}
