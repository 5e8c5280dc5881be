use crate::service::AuthService;
use crate::store::StoreError;
use crate::token::TokenError;
use crate::user::User;

#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("token revoked")]
    Revoked,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuthService {
    /// The user a token belongs to, if the token is valid, unexpired, unrevoked and the user still exists.
    pub fn status(&self, token: &str) -> Result<User, StatusError> {
        let verified = self.tokens.verify(token, self.clock.now())?;
        match self.users.find_user_with_revocation(verified.user_id, &verified.jti)? {
            None => Err(StatusError::Token(TokenError::Invalid)),
            Some((_, true)) => Err(StatusError::Revoked),
            Some((user, false)) => Ok(user),
        }
    }
}
