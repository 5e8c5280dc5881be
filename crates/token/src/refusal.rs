//! Why a presented access token does not authenticate, and the words a client is given for it: the
//! Flask service's messages, which clients match on.

use crate::authorization::AuthorizationError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Refusal {
    /// No `Authorization` header, or an empty one.
    #[error("Provide a valid auth token.")]
    Missing,
    /// Not exactly `Bearer <token>`.
    #[error("Bearer token malformed.")]
    Malformed,
    #[error("Signature expired. Please log in again.")]
    Expired,
    /// Not ours: a bad signature, another algorithm, a refused header, a missing or malformed claim,
    /// an unknown key; or (with the database's answer) a deleted user or a session we do not have.
    #[error("Invalid token. Please log in again.")]
    Invalid,
    /// Logged out, or its session has ended.
    #[error("Token blacklisted. Please log in again.")]
    Revoked,
    /// The keys to check it with cannot be had right now: try again.
    #[error("Service temporarily unavailable. Please try again.")]
    KeysUnavailable,
}

impl Refusal {
    /// The message a client reads (`{"status":"fail","message":...}`).
    pub fn message(self) -> &'static str {
        match self {
            Self::Missing => "Provide a valid auth token.",
            Self::Malformed => "Bearer token malformed.",
            Self::Expired => "Signature expired. Please log in again.",
            Self::Invalid => "Invalid token. Please log in again.",
            Self::Revoked => "Token blacklisted. Please log in again.",
            Self::KeysUnavailable => "Service temporarily unavailable. Please try again.",
        }
    }

    /// The HTTP status: 401 for every refusal of the client's token (RFC 6750), 503 when we cannot
    /// check it. A missing token is 401 too, except where the seed's contract says otherwise (its
    /// logout answered 403).
    pub fn status(self) -> u16 {
        match self {
            Self::KeysUnavailable => 503,
            _ => 401,
        }
    }

    /// The `WWW-Authenticate` challenge of a 401 (RFC 6750 §3): a token that was presented but refused
    /// is `invalid_token`, one that could not be read `invalid_request`.
    pub fn challenge(self) -> Option<&'static str> {
        match self {
            Self::Missing => Some("Bearer"),
            Self::Malformed => Some(r#"Bearer error="invalid_request""#),
            Self::Expired | Self::Invalid | Self::Revoked => Some(r#"Bearer error="invalid_token""#),
            Self::KeysUnavailable => None,
        }
    }
}

impl From<AuthorizationError> for Refusal {
    fn from(e: AuthorizationError) -> Self {
        match e {
            AuthorizationError::Missing => Self::Missing,
            AuthorizationError::Malformed => Self::Malformed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_is_the_display() {
        for refusal in [
            Refusal::Missing,
            Refusal::Malformed,
            Refusal::Expired,
            Refusal::Invalid,
            Refusal::Revoked,
            Refusal::KeysUnavailable,
        ] {
            assert_eq!(refusal.message(), refusal.to_string());
            assert_eq!(refusal.challenge().is_some(), refusal.status() == 401);
        }
    }
}
