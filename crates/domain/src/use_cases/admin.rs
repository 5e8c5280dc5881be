use crate::email::{Email, EmailError};
use crate::event::EventKind;
use crate::service::AuthService;
use crate::session::{ClientInfo, EndReason, SessionInfo};
use crate::store::StoreError;
use crate::user::User;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    InvalidEmail(#[from] EmailError),
    #[error("no user has this email")]
    UnknownUser,
    #[error(transparent)]
    Token(#[from] crate::token::IssueError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuthService {
    pub fn set_admin(&self, email: &str, admin: bool) -> Result<User, AdminError> {
        let email = Email::parse(email)?;
        let user = self.users.set_admin(&email, admin)?.ok_or(AdminError::UnknownUser)?;
        tracing::info!(user.id = %user.id, admin, "admin flag set");
        Ok(user)
    }

    /// The user's live sessions, newest first.
    pub fn sessions_of(&self, email: &str) -> Result<(User, Vec<SessionInfo>), AdminError> {
        let email = Email::parse(email)?;
        let user = self.users.find_credentials_by_email(&email)?.ok_or(AdminError::UnknownUser)?.user;
        let sessions = self.sessions.live_sessions(user.id, self.now(), &self.session_policy)?;
        Ok((user, sessions))
    }

    /// Ends every session of the user; returns how many were live.
    pub fn logout_everywhere(&self, email: &str) -> Result<u64, AdminError> {
        let email = Email::parse(email)?;
        let user = self.users.find_credentials_by_email(&email)?.ok_or(AdminError::UnknownUser)?.user;
        let event =
            self.event(EventKind::SessionEnded, Some(user.id), Some(email.as_str()), &ClientInfo::default(), None);
        let ended = self.sessions.end_sessions(user.id, None, self.now(), EndReason::Revoked, &event)?;
        tracing::info!(user.id = %user.id, ended, "every session ended");
        Ok(ended)
    }

    /// Deletes the user; their revocations and sessions go with them.
    /// Clears the failed-login counters of this email (alone and with every client), known or not; returns
    /// how many there were.
    pub fn unlock(&self, email: &str) -> Result<u64, AdminError> {
        let email = Email::parse(email)?;
        let cleared = self.throttles.clear_email_counters(email.as_str())?;
        tracing::info!(cleared, "failed-login counters of an email cleared");
        Ok(cleared)
    }

    /// Starts a session of the user without a password (the hidden `auth-server tokens mint`, for load
    /// tests): a real session, recorded as `session_minted`, bounded by `sessions.max_per_user` as any.
    pub fn mint_session(&self, email: &str) -> Result<crate::IssuedSession, AdminError> {
        let email = Email::parse(email)?;
        let user = self.users.find_credentials_by_email(&email)?.ok_or(AdminError::UnknownUser)?.user;
        let session = self.new_session(ClientInfo::default());
        let event = self.event(
            EventKind::SessionMinted,
            Some(user.id),
            Some(email.as_str()),
            &session.client,
            Some(session.id),
        );
        self.sessions.start_session(user.id, &session, self.session_policy.max_per_user, &event)?;
        Ok(self.issue_session(user.id, session.id, 0)?)
    }

    pub fn delete_user(&self, email: &str) -> Result<(), AdminError> {
        let email = Email::parse(email)?;
        // as a user deleting their own account: the events stay, without the address
        let event = self.event(EventKind::UserDeleted, None, None, &ClientInfo::default(), None);
        if !self.accounts.delete_account(&email, &event)? {
            return Err(AdminError::UnknownUser);
        }
        tracing::info!("user deleted");
        Ok(())
    }
}
