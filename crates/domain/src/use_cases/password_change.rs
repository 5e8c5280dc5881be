use super::email_change::CurrentPassword;
use crate::attempt::{Attempt, AttemptError};
use crate::event::EventKind;
use crate::password::{Password, PasswordError};
use crate::password_hasher::HashError;
use crate::principal::Principal;
use crate::service::AuthService;
use crate::session::ClientInfo;
use crate::store::StoreError;
use crate::throttle::{LoginSubject, Throttled};
use crate::user::UserId;
use secrecy::SecretString;

#[derive(Debug, thiserror::Error)]
pub enum ChangePasswordError {
    #[error("the current password is wrong")]
    WrongPassword,
    #[error(transparent)]
    InvalidPassword(#[from] PasswordError),
    /// Too many wrong passwords for this account or client (the login limits): nothing was hashed.
    #[error("too many attempts")]
    Throttled(Throttled),
    /// The user is gone (deleted since the token was checked).
    #[error("the user is gone")]
    Gone,
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AttemptError> for ChangePasswordError {
    fn from(e: AttemptError) -> Self {
        match e {
            AttemptError::Throttled(t) => Self::Throttled(t),
            AttemptError::Store(e) => Self::Store(e),
        }
    }
}

/// A password change checked and counted, waiting for its hashes (`finish_password_change`).
#[derive(Debug)]
#[must_use = "a password change is finished or abandoned"]
pub struct PasswordChange {
    attempt: Attempt,
    caller: Principal,
    new: Password,
}

impl PasswordChange {
    /// Gives up the change without hashing (`AuthService::abandon`).
    pub fn into_attempt(self) -> Attempt {
        self.attempt
    }
}

impl AuthService {
    /// Both halves, on the calling thread.
    pub fn change_password(
        &self,
        caller: &Principal,
        current: &SecretString,
        new: SecretString,
        client: ClientInfo,
    ) -> Result<UserId, ChangePasswordError> {
        let change = self.begin_password_change(caller, new, client)?;
        self.finish_password_change(change, current)
    }

    /// The first half, which hashes nothing: the new password must satisfy the policy, and the check of
    /// the current one is counted like a login of this account from this client (the same counters and
    /// limits), so a stolen access token cannot guess the password faster than a login could.
    pub fn begin_password_change(
        &self,
        caller: &Principal,
        new: SecretString,
        client: ClientInfo,
    ) -> Result<PasswordChange, ChangePasswordError> {
        let new = Password::new(new, &self.policy)?;
        let subject = LoginSubject::Email(caller.user.email.as_str().to_owned());
        let attempt = self.count_password_attempt(subject, &client)?;
        Ok(PasswordChange { attempt, caller: caller.clone(), new })
    }

    /// The second half: when the current password is right, stores the new one and ends every other
    /// session of the user (the calling one stays), in one transaction. A wrong one stays counted and is
    /// recorded (`password_check_failed`).
    pub fn finish_password_change(
        &self,
        change: PasswordChange,
        current: &SecretString,
    ) -> Result<UserId, ChangePasswordError> {
        let PasswordChange { attempt, caller, new } = change;
        let user = &caller.user;
        if !self.check_current_password(&caller, current, &attempt.client).map_err(|e| match e {
            CurrentPassword::Gone => ChangePasswordError::Gone,
            CurrentPassword::Store(e) => ChangePasswordError::Store(e),
        })? {
            return Err(ChangePasswordError::WrongPassword);
        }
        let client = attempt.client.clone();
        self.attempt_succeeded(attempt)?;
        let hash = self.hasher.hash(&new)?;
        let event =
            self.event(EventKind::PasswordChanged, Some(user.id), Some(user.email.as_str()), &client, caller.session);
        if !self.users.change_password(user.id, &hash, caller.session, self.now(), &event)? {
            return Err(ChangePasswordError::Gone);
        }
        tracing::info!(user.id = %user.id, "password changed; other sessions ended");
        Ok(user.id)
    }
}
