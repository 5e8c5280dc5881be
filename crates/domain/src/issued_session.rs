//! What a login, registration or refresh hands out.

use crate::session::SessionId;
use crate::token::IssuedToken;
use crate::user::UserId;
use secrecy::SecretString;
use std::fmt;

/// A session's start or continuation: the access token, the refresh token and the session.
pub struct IssuedSession {
    pub user_id: UserId,
    pub session: SessionId,
    pub access: IssuedToken,
    pub refresh: SecretString,
    /// The access token's lifetime, for `expires_in`.
    pub expires_in: u64,
}

impl fmt::Debug for IssuedSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedSession")
            .field("user_id", &self.user_id)
            .field("session", &self.session)
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}
