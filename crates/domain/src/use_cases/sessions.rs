use crate::event::EventKind;
use crate::principal::Principal;
use crate::service::AuthService;
use crate::session::{ClientInfo, EndReason, SessionId, SessionInfo};
use crate::store::StoreError;
use crate::user::UserId;

/// The caller's live sessions, and which one the presented token belongs to.
#[derive(Debug)]
pub struct SessionList {
    pub user_id: UserId,
    pub current: Option<SessionId>,
    pub sessions: Vec<SessionInfo>,
}

#[derive(Debug, thiserror::Error)]
pub enum EndSessionError {
    /// Unknown, malformed, ended, or another user's: all alike, so nobody learns of others' sessions.
    #[error("no such session")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuthService {
    /// The caller's live sessions, newest first.
    pub fn sessions(&self, caller: &Principal) -> Result<SessionList, StoreError> {
        let sessions = self.sessions.live_sessions(caller.user.id, self.now(), &self.session_policy)?;
        Ok(SessionList { user_id: caller.user.id, current: caller.session, sessions })
    }

    /// Ends one of the caller's sessions; its tokens are refused from now on.
    pub fn end_session(
        &self,
        caller: &Principal,
        session: &str,
        client: ClientInfo,
    ) -> Result<UserId, EndSessionError> {
        let user = &caller.user;
        let session = SessionId::parse(session).ok_or(EndSessionError::NotFound)?;
        let event =
            self.event(EventKind::SessionEnded, Some(user.id), Some(user.email.as_str()), &client, Some(session));
        if !self.sessions.end_session(user.id, session, self.now(), EndReason::Revoked, &event)? {
            return Err(EndSessionError::NotFound);
        }
        tracing::info!(user.id = %user.id, session.id = %session, "session ended");
        Ok(user.id)
    }
}
