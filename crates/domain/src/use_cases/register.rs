use crate::email::{Email, EmailError};
use crate::issued_session::IssuedSession;
use crate::password::{Password, PasswordError};
use crate::password_hasher::HashError;
use crate::service::AuthService;
use crate::session::ClientInfo;
use crate::store::NewSession;
use crate::store::{InsertUserError, NewUser, StoreError};
use crate::token::TokenError;
use crate::user::User;
use secrecy::SecretString;

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error(transparent)]
    InvalidEmail(#[from] EmailError),
    #[error(transparent)]
    InvalidPassword(#[from] PasswordError),
    #[error("a user with this email already exists")]
    AlreadyExists,
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error("could not issue a token: {0}")]
    Token(TokenError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug)]
pub struct Registered {
    pub user: User,
    pub session: IssuedSession,
}

impl AuthService {
    /// Creates the user and logs them in: the user and their first session are stored together. The
    /// database's unique index decides between concurrent registrations of one email, so exactly one of
    /// them succeeds.
    pub fn register(
        &self,
        email: &str,
        password: SecretString,
        client: ClientInfo,
    ) -> Result<Registered, RegisterError> {
        let session = self.new_session(client);
        let user = self.insert_user(email, password, false, Some(&session))?;
        let issued = self.issue_session(user.id, session.id, 0).map_err(RegisterError::Token)?;
        tracing::info!(user.id = %user.id, session.id = %session.id, "user registered");
        Ok(Registered { user, session: issued })
    }

    /// Creates a user without logging them in (the admin command line's `user create`).
    pub fn create_user(&self, email: &str, password: SecretString, admin: bool) -> Result<User, RegisterError> {
        self.insert_user(email, password, admin, None)
    }

    fn insert_user(
        &self,
        email: &str,
        password: SecretString,
        admin: bool,
        session: Option<&NewSession>,
    ) -> Result<User, RegisterError> {
        let email = Email::parse(email)?;
        let password = Password::new(password, &self.policy)?;
        let password_hash = self.hasher.hash(&password)?;
        let new_user = NewUser { email, password_hash, registered_on: self.now(), admin };
        self.users.insert_user(&new_user, session).map_err(|e| match e {
            InsertUserError::EmailTaken => RegisterError::AlreadyExists,
            InsertUserError::Store(e) => RegisterError::Store(e),
        })
    }
}
