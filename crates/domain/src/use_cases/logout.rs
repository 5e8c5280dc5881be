use crate::event::EventKind;
use crate::service::AuthService;
use crate::session::ClientInfo;
use crate::store::{LogoutScope, NewRevocation, RevokeOutcome, StoreError};
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
    /// Revokes the token and ends its session (`Local`), every other session of the user (`Others`) or
    /// all of them (`Global`), in one transaction, and returns its user. Of several concurrent logouts
    /// with one token exactly one succeeds.
    pub fn logout(&self, token: &str, scope: LogoutScope, client: ClientInfo) -> Result<UserId, LogoutError> {
        let verified = self.tokens.verify(token, self.clock.now())?;
        let revocation = NewRevocation {
            jti: verified.jti,
            user_id: verified.user_id,
            revoked_at: self.now(),
            expires_at: verified.expires_at,
        };
        let event = self.event(EventKind::Logout, Some(verified.user_id), None, &client, verified.session);
        match self.revocations.logout(&revocation, verified.session, scope, &event)? {
            RevokeOutcome::Revoked => {
                tracing::info!(user.id = %verified.user_id, ?scope, "token revoked");
                Ok(verified.user_id)
            }
            RevokeOutcome::AlreadyRevoked => Err(LogoutError::Revoked),
            RevokeOutcome::UnknownUser => Err(LogoutError::Token(TokenError::Invalid)),
        }
    }
}
