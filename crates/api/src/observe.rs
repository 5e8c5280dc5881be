//! What each request tells the metrics and the request's log span.

use crate::error::ApiError;
use auth_domain::{Refusal, UserId};

/// A low-cardinality label for a use case's result.
pub(crate) fn outcome<T>(result: &Result<T, ApiError>, success: &'static str) -> &'static str {
    match result {
        Ok(_) => success,
        Err(ApiError::UserExists) => "exists",
        Err(ApiError::UserDoesNotExist) => "wrong_credentials",
        Err(ApiError::Token(Refusal::Expired)) => "expired",
        Err(ApiError::Token(Refusal::Revoked)) => "revoked",
        Err(ApiError::Token(_) | ApiError::MissingToken { .. }) => "invalid",
        Err(ApiError::Unavailable | ApiError::Internal | ApiError::Store(_)) => "error",
        Err(ApiError::ClientGone) => "client_gone",
        Err(ApiError::TooManyAttempts { .. }) => "throttled",
        Err(_) => "rejected",
    }
}

/// Puts the user id on the request span (declared empty by the server's root span).
pub(crate) fn record_user(id: UserId) {
    tracing::Span::current().record("user.id", id.0);
}
