use crate::service::AuthService;
use crate::store::{SessionState, StoreError};
use crate::token::{TokenError, VerifiedToken};
use crate::user::User;

/// Why a bearer token does not authenticate (status, logout and every session endpoint).
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error(transparent)]
    Token(#[from] TokenError),
    /// Revoked by its logout, or its session has ended.
    #[error("token revoked")]
    Revoked,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuthService {
    /// The user a token belongs to, if the token is valid, unexpired, unrevoked, of a live session (or of
    /// none, as tokens issued before sessions are) and the user still exists.
    pub fn status(&self, token: &str) -> Result<User, StatusError> {
        self.authenticate(token).map(|(user, _)| user)
    }

    /// What `status` checks, with the verified token: one round trip to the database.
    pub(crate) fn authenticate(&self, token: &str) -> Result<(User, VerifiedToken), StatusError> {
        let verified = self.tokens.verify(token, self.clock.now())?;
        let Some(check) = self.users.check_token(verified.user_id, &verified.jti, verified.session)? else {
            return Err(StatusError::Token(TokenError::Invalid));
        };
        match (check.revoked, check.session) {
            (true, _) | (false, SessionState::Ended) => Err(StatusError::Revoked),
            // A session this database never had: a restored backup, or another database. The token must
            // not speak for whoever holds its user id here.
            (false, SessionState::Missing) => Err(StatusError::Token(TokenError::Invalid)),
            (false, SessionState::Live | SessionState::NotNamed) => Ok((check.user, verified)),
        }
    }
}
