use crate::event::EventKind;
use crate::password::{Password, PasswordError};
use crate::password_hasher::HashError;
use crate::service::AuthService;
use crate::session::ClientInfo;
use crate::store::StoreError;
use crate::token::TokenError;
use crate::use_cases::status::StatusError;
use crate::user::UserId;
use secrecy::SecretString;

#[derive(Debug, thiserror::Error)]
pub enum ChangePasswordError {
    #[error(transparent)]
    Auth(#[from] StatusError),
    #[error("the current password is wrong")]
    WrongPassword,
    #[error(transparent)]
    InvalidPassword(#[from] PasswordError),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuthService {
    /// Sets a new password when the current one is right, and ends every other session of the user
    /// (the calling one stays), in one transaction.
    pub fn change_password(
        &self,
        token: &str,
        current: &SecretString,
        new: SecretString,
        client: ClientInfo,
    ) -> Result<UserId, ChangePasswordError> {
        let (user, verified) = self.authenticate(token)?;
        let new = Password::new(new, &self.policy)?;
        let credentials = self
            .users
            .find_credentials_by_email(&user.email)?
            .ok_or(ChangePasswordError::Auth(StatusError::Token(TokenError::Invalid)))?;
        if !self.hasher.verify(current, Some(&credentials.password_hash)) {
            tracing::info!(user.id = %user.id, "password change refused: wrong current password");
            return Err(ChangePasswordError::WrongPassword);
        }
        let hash = self.hasher.hash(&new)?;
        let event =
            self.event(EventKind::PasswordChanged, Some(user.id), Some(user.email.as_str()), &client, verified.session);
        if !self.users.change_password(user.id, &hash, verified.session, self.now(), &event)? {
            return Err(ChangePasswordError::Auth(StatusError::Token(TokenError::Invalid)));
        }
        tracing::info!(user.id = %user.id, "password changed; other sessions ended");
        Ok(user.id)
    }
}
