use crate::service::AuthService;
use crate::store::{NewRevocation, RevokeOutcome, StoreError};
use crate::token::TokenError;
use crate::user::UserId;

#[derive(Debug, thiserror::Error)]
pub enum LogoutError {
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("token already revoked")]
    Revoked,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuthService {
    /// Revokes the token and returns its user. Of several concurrent logouts with one token exactly one
    /// succeeds.
    pub fn logout(&self, token: &str) -> Result<UserId, LogoutError> {
        let verified = self.tokens.verify(token, self.clock.now())?;
        let revocation = NewRevocation {
            jti: verified.jti,
            user_id: verified.user_id,
            revoked_at: self.now(),
            expires_at: verified.expires_at,
        };
        match self.revocations.revoke(&revocation)? {
            RevokeOutcome::Revoked => {
                tracing::info!(user.id = %verified.user_id, "token revoked");
                Ok(verified.user_id)
            }
            RevokeOutcome::AlreadyRevoked => Err(LogoutError::Revoked),
            RevokeOutcome::UnknownUser => Err(LogoutError::Token(TokenError::Invalid)),
        }
    }
}
