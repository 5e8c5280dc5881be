//! A user deleting their own account (the password asked for again).

use super::email_change::CurrentPassword;
use crate::attempt::{Attempt, AttemptError};
use crate::event::EventKind;
use crate::principal::Principal;
use crate::service::AuthService;
use crate::session::ClientInfo;
use crate::store::StoreError;
use crate::throttle::{LoginSubject, Throttled};
use secrecy::SecretString;

#[derive(Debug, thiserror::Error)]
pub enum DeleteAccountError {
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("too many attempts")]
    Throttled(Throttled),
    #[error("the user is gone")]
    Gone,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AttemptError> for DeleteAccountError {
    fn from(e: AttemptError) -> Self {
        match e {
            AttemptError::Throttled(t) => Self::Throttled(t),
            AttemptError::Store(e) => Self::Store(e),
        }
    }
}

/// A deletion counted, waiting for its password check (`finish_account_deletion`).
#[derive(Debug)]
#[must_use = "a deletion is finished or abandoned"]
pub struct AccountDeletion {
    attempt: Attempt,
    caller: Principal,
}

impl AccountDeletion {
    /// Gives up without checking the password (`AuthService::abandon`).
    pub fn into_attempt(self) -> Attempt {
        self.attempt
    }
}

impl AuthService {
    /// The first half: the password check is counted like a login of this account from this client.
    pub fn begin_account_deletion(
        &self,
        caller: &Principal,
        client: ClientInfo,
    ) -> Result<AccountDeletion, DeleteAccountError> {
        let subject = LoginSubject::Email(caller.user.email.as_str().to_owned());
        let attempt = self.count_password_attempt(subject, &client)?;
        Ok(AccountDeletion { attempt, caller: caller.clone() })
    }

    /// The second half: with the right password the account is deleted with everything of it (its
    /// events stay, without the address); a later login is `User does not exist.`, and the address can
    /// register again.
    pub fn finish_account_deletion(
        &self,
        deletion: AccountDeletion,
        current: &SecretString,
    ) -> Result<(), DeleteAccountError> {
        let AccountDeletion { attempt, caller } = deletion;
        let user = &caller.user;
        if !self.check_current_password(&caller, current, &attempt.client).map_err(|e| match e {
            CurrentPassword::Gone => DeleteAccountError::Gone,
            CurrentPassword::Store(e) => DeleteAccountError::Store(e),
        })? {
            return Err(DeleteAccountError::WrongPassword);
        }
        let client = attempt.client.clone();
        self.attempt_succeeded(attempt)?;
        let event = self.event(EventKind::AccountDeleted, Some(user.id), None, &client, caller.session);
        if !self.accounts.delete_account(&user.email, &event)? {
            return Err(DeleteAccountError::Gone);
        }
        tracing::info!(user.id = %user.id, "account deleted by its user");
        Ok(())
    }
}
