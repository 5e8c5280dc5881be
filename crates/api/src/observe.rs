//! What each request tells the metrics and the request's log span.

use crate::error::ApiError;
use auth_domain::UserId;

/// A low-cardinality label for a use case's result.
pub(crate) fn outcome<T>(result: &Result<T, ApiError>, success: &'static str) -> &'static str {
    match result {
        Ok(_) => success,
        Err(ApiError::UserExists) => "exists",
        Err(ApiError::UserDoesNotExist) => "wrong_credentials",
        Err(ApiError::TokenExpired) => "expired",
        Err(ApiError::TokenRevoked) => "revoked",
        Err(ApiError::TokenInvalid | ApiError::MalformedBearer | ApiError::MissingToken { .. }) => "invalid",
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
