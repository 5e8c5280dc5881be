//! Who is asking: the caller of an authenticated request, established once from its bearer token.

use crate::session::SessionId;
use crate::store_error::StoreError;
use crate::token::TokenId;
use crate::user::User;
use auth_token::Refusal;
use chrono::{DateTime, Utc};

/// A caller whose access token passed every check: signature and claims, not revoked, of a live
/// session (or of none, as tokens issued before sessions are), of a user who still exists. Use cases
/// that act for a caller take this, never a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user: User,
    /// The session the token belongs to; `None` for a token issued before sessions.
    pub session: Option<SessionId>,
    /// The token's `jti`.
    pub token_id: TokenId,
    /// When the token expires.
    pub expires_at: DateTime<Utc>,
}

/// Why a bearer token does not authenticate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The contract's refusal (`auth_token::Refusal`): what the client is told.
    #[error("{0}")]
    Refused(Refusal),
    /// Signed with a key this instance has not read yet; a read is asked for (`AuthService::
    /// key_read_pending`). The caller may wait for it and try once more; else the token is `Invalid`.
    #[error("signed with a key not read yet")]
    UnreadKey,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<Refusal> for AuthError {
    fn from(refusal: Refusal) -> Self {
        Self::Refused(refusal)
    }
}
