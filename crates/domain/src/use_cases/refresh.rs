use crate::event::EventKind;
use crate::issued_session::IssuedSession;
use crate::service::AuthService;
use crate::session::ClientInfo;
use crate::store::{RotateOutcome, StoreError};
use crate::token::IssueError;

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// Not a refresh token of ours, or of a session that has ended or expired.
    #[error("invalid refresh token")]
    Invalid,
    /// A consumed refresh token came back after the grace window: its session has been ended.
    #[error("refresh token reused; the session has been ended")]
    Reused,
    #[error("could not issue a token: {0}")]
    Token(IssueError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuthService {
    /// Consumes a refresh token: a new access token and the session's next refresh token. The token that
    /// was current just before the latest rotation, presented again within `sessions.refresh_reuse_grace_secs`,
    /// gets that rotation's result again (concurrent refreshes from two tabs); any other consumed token
    /// ends its session.
    pub fn refresh(&self, token: &str, client: ClientInfo) -> Result<IssuedSession, RefreshError> {
        let claim = self.refresh.parse(token).ok_or(RefreshError::Invalid)?;
        let event = self.event(EventKind::Refresh, None, None, &client, Some(claim.session));
        match self.sessions.rotate(claim, self.now(), &self.session_policy, &event)? {
            RotateOutcome::Rotated { user_id, generation } | RotateOutcome::Grace { user_id, generation } => {
                let issued = self.issue_session(user_id, claim.session, generation).map_err(RefreshError::Token)?;
                tracing::info!(user.id = %user_id, session.id = %claim.session, generation, "session refreshed");
                Ok(issued)
            }
            RotateOutcome::Reused { user_id } => {
                tracing::warn!(user.id = %user_id, session.id = %claim.session, "refresh token reused; session ended");
                Err(RefreshError::Reused)
            }
            RotateOutcome::Invalid => Err(RefreshError::Invalid),
        }
    }
}
