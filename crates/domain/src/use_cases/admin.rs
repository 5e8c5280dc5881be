use crate::email::{Email, EmailError};
use crate::service::AuthService;
use crate::store::StoreError;
use crate::user::User;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    InvalidEmail(#[from] EmailError),
    #[error("no user has this email")]
    UnknownUser,
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

    /// Deletes the user; their revocations go with them.
    pub fn delete_user(&self, email: &str) -> Result<(), AdminError> {
        let email = Email::parse(email)?;
        if !self.users.delete_user(&email)? {
            return Err(AdminError::UnknownUser);
        }
        tracing::info!("user deleted");
        Ok(())
    }
}
