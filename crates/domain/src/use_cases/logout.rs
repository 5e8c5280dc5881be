use crate::event::EventKind;
use crate::principal::Principal;
use crate::service::AuthService;
use crate::session::ClientInfo;
use crate::store::{LogoutScope, NewRevocation, RevokeOutcome, StoreError};
use crate::user::UserId;

#[derive(Debug, thiserror::Error)]
pub enum LogoutError {
    /// Another logout with the same token, or the end of its session, came first.
    #[error("token already revoked")]
    Revoked,
    /// The user or the session is gone (deleted since the token was checked).
    #[error("the token's user or session is gone")]
    Gone,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuthService {
    /// Logs the caller out, in one transaction: `Local` revokes the token and ends its session,
    /// `Global` revokes it and ends every session of the user, `Others` ends every other session and
    /// leaves the caller's token and session working ("sign out my other devices"). Of several
    /// concurrent logouts with one token (`Local`, `Global`) exactly one succeeds.
    pub fn logout(&self, caller: &Principal, scope: LogoutScope, client: ClientInfo) -> Result<UserId, LogoutError> {
        let user_id = caller.user.id;
        let revocation = NewRevocation {
            jti: caller.token_id.clone(),
            user_id,
            revoked_at: self.now(),
            expires_at: caller.expires_at,
        };
        let event = self.event(EventKind::Logout, Some(user_id), None, &client, caller.session);
        match self.revocations.logout(&revocation, caller.session, scope, &event)? {
            RevokeOutcome::Revoked => {
                tracing::info!(user.id = %user_id, ?scope, "logged out");
                Ok(user_id)
            }
            RevokeOutcome::AlreadyRevoked => Err(LogoutError::Revoked),
            RevokeOutcome::UnknownUser => Err(LogoutError::Gone),
        }
    }
}
