use crate::email::Email;
use crate::issued_session::IssuedSession;
use crate::password_hasher::HashError;
use crate::service::AuthService;
use crate::session::ClientInfo;
use crate::store::StoreError;
use crate::token::TokenError;
use secrecy::SecretString;

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown email and wrong password are one error, so the answer does not reveal which emails exist.
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("could not issue a token: {0}")]
    Token(TokenError),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuthService {
    /// Every failed login costs one bcrypt verification, whether or not the email is known. A success
    /// starts a session (the least recently active ones beyond `sessions.max_per_user` end).
    pub fn login(&self, email: &str, password: &SecretString, client: ClientInfo) -> Result<IssuedSession, LoginError> {
        let credentials = match Email::parse(email) {
            Ok(email) => self.users.find_credentials_by_email(&email)?,
            Err(_) => None,
        };
        let stored_hash = credentials.as_ref().map(|c| &c.password_hash);
        if !self.hasher.verify(password, stored_hash) {
            tracing::info!("login refused");
            return Err(LoginError::InvalidCredentials);
        }
        let credentials = credentials.ok_or(LoginError::InvalidCredentials)?;
        if self.hasher.needs_rehash(&credentials.password_hash) {
            let new = self.hasher.rehash(password)?;
            let rehashed = self.users.replace_password_hash(credentials.user.id, &credentials.password_hash, &new)?;
            tracing::info!(user.id = %credentials.user.id, rehashed, "password hash rehashed at the configured cost");
        }
        let user = credentials.user;
        let session = self.new_session(client);
        self.sessions.start_session(user.id, &session, self.session_policy.max_per_user)?;
        let issued = self.issue_session(user.id, session.id, 0).map_err(LoginError::Token)?;
        tracing::info!(user.id = %user.id, session.id = %session.id, "user logged in");
        Ok(issued)
    }
}
