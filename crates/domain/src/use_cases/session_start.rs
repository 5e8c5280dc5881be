use crate::issued_session::IssuedSession;
use crate::service::AuthService;
use crate::session::{ClientInfo, RefreshClaim, SessionId};
use crate::store::NewSession;
use crate::token::IssueError;
use crate::user::UserId;

impl AuthService {
    /// A session about to start for a client, now.
    pub(crate) fn new_session(&self, client: ClientInfo) -> NewSession {
        NewSession { id: SessionId::new_random(), started_at: self.now(), client }
    }

    /// The tokens of generation `generation` of a session: an access token of the session and the
    /// session's refresh token for that generation.
    pub(crate) fn issue_session(
        &self,
        user_id: UserId,
        session: SessionId,
        generation: u64,
    ) -> Result<IssuedSession, IssueError> {
        let access = self.tokens.issue(user_id, session, self.now())?;
        let refresh = self.refresh.issue(RefreshClaim { session, generation });
        Ok(IssuedSession { user_id, session, access, refresh, expires_in: self.tokens.ttl_secs() })
    }
}
