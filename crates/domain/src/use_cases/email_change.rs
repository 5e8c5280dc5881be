//! Moving an account to another address: a link to the new address proves it, a notice tells the old one.

use super::mail::MailError;
use crate::account_store::EmailChanged;
use crate::attempt::{Attempt, AttemptError};
use crate::email::{Email, EmailError};
use crate::event::EventKind;
use crate::mail::{LinkToken, MailKind, NewMail, OutboxState};
use crate::principal::Principal;
use crate::service::AuthService;
use crate::session::ClientInfo;
use crate::store::StoreError;
use crate::throttle::{LoginSubject, Throttled};
use crate::user::UserId;
use secrecy::SecretString;

#[derive(Debug, thiserror::Error)]
pub enum ChangeEmailError {
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error(transparent)]
    InvalidEmail(#[from] EmailError),
    #[error("the current password is wrong")]
    WrongPassword,
    /// Too many wrong passwords for this account or client (the login limits): nothing was checked.
    #[error("too many attempts")]
    Throttled(Throttled),
    #[error("the user is gone")]
    Gone,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AttemptError> for ChangeEmailError {
    fn from(e: AttemptError) -> Self {
        match e {
            AttemptError::Throttled(t) => Self::Throttled(t),
            AttemptError::Store(e) => Self::Store(e),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfirmEmailChangeError {
    #[error("invalid or expired link")]
    InvalidLink,
    /// Another account took the address since the link was sent.
    #[error("the address is registered")]
    Taken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A change of address checked and counted, waiting for its password check (`finish_email_change`).
#[derive(Debug)]
#[must_use = "an email change is finished or abandoned"]
pub struct EmailChange {
    attempt: Attempt,
    caller: Principal,
    new_email: Email,
}

impl EmailChange {
    /// Gives up without checking the password (`AuthService::abandon`).
    pub fn into_attempt(self) -> Attempt {
        self.attempt
    }
}

impl AuthService {
    /// The first half, which checks no password: the new address must parse, and the password check is
    /// counted like a login of this account from this client.
    pub fn begin_email_change(
        &self,
        caller: &Principal,
        new_email: &str,
        client: ClientInfo,
    ) -> Result<EmailChange, ChangeEmailError> {
        self.mail_on()?;
        let new_email = Email::parse(new_email)?;
        let subject = LoginSubject::Email(caller.user.email.as_str().to_owned());
        let attempt = self.count_password_attempt(subject, &client)?;
        Ok(EmailChange { attempt, caller: caller.clone(), new_email })
    }

    /// The second half: with the right password, a link goes to the new address and a notice to the old
    /// one. An address another account has gets no email, and the caller the same answer (nobody learns
    /// from it who is registered); the old address is told either way.
    pub fn finish_email_change(&self, change: EmailChange, current: &SecretString) -> Result<(), ChangeEmailError> {
        let EmailChange { attempt, caller, new_email } = change;
        let user = &caller.user;
        if !self.check_current_password(&caller, current, &attempt.client).map_err(|e| match e {
            CurrentPassword::Gone => ChangeEmailError::Gone,
            CurrentPassword::Store(e) => ChangeEmailError::Store(e),
        })? {
            return Err(ChangeEmailError::WrongPassword);
        }
        let client = attempt.client.clone();
        self.attempt_succeeded(attempt)?;
        if new_email == user.email {
            return Ok(());
        }
        let taken = self.users.find_credentials_by_email(&new_email)?.is_some();
        let notice = NewMail {
            user_id: Some(user.id),
            ..self.new_mail(
                MailKind::EmailChangeNotice,
                user.email.as_str(),
                None,
                Some(new_email.as_str().to_owned()),
                OutboxState::Queued,
            )?
        };
        let event = self.event(
            EventKind::EmailChangeRequested,
            Some(user.id),
            Some(user.email.as_str()),
            &client,
            caller.session,
        );
        if taken {
            self.queue_mail(Some(user.id), None, &[notice], &event)?;
        } else {
            let (link, mail) =
                self.new_link_mail(MailKind::EmailChangeLink, new_email.as_str(), None, OutboxState::Queued)?;
            let mail = NewMail { user_id: Some(user.id), ..mail };
            self.queue_mail(Some(user.id), Some(&link), &[mail, notice], &event)?;
        }
        tracing::info!(user.id = %user.id, taken, "email change asked for");
        Ok(())
    }

    /// Uses an email-change link: the account takes the address (verified), and every other link of the
    /// user is void (links to the old address no longer act on the account).
    pub fn confirm_email_change(&self, token: &str, client: ClientInfo) -> Result<UserId, ConfirmEmailChangeError> {
        let token = LinkToken::parse(token).ok_or(ConfirmEmailChangeError::InvalidLink)?;
        let event = self.event(EventKind::EmailChanged, None, None, &client, None);
        match self.accounts.change_email(&token.hash(), self.now(), &event)? {
            EmailChanged::Changed { user_id, .. } => {
                tracing::info!(user.id = %user_id, "email changed");
                Ok(user_id)
            }
            EmailChanged::Invalid => Err(ConfirmEmailChangeError::InvalidLink),
            EmailChanged::Taken => Err(ConfirmEmailChangeError::Taken),
        }
    }

    /// Whether `current` is the caller's password (a wrong one is recorded as `password_check_failed`).
    pub(crate) fn check_current_password(
        &self,
        caller: &Principal,
        current: &SecretString,
        client: &ClientInfo,
    ) -> Result<bool, CurrentPassword> {
        let user = &caller.user;
        let credentials = self.users.find_credentials_by_email(&user.email)?.filter(|c| c.user.id == user.id);
        let Some(credentials) = credentials else {
            return Err(CurrentPassword::Gone);
        };
        if self.hasher.verify(current, Some(&credentials.password_hash)) {
            return Ok(true);
        }
        let event = self.event(
            EventKind::PasswordCheckFailed,
            Some(user.id),
            Some(user.email.as_str()),
            client,
            caller.session,
        );
        self.events.record_event(&event, None)?;
        tracing::info!(user.id = %user.id, "wrong current password");
        Ok(false)
    }
}

/// Why the current password could not be checked.
#[derive(Debug)]
pub(crate) enum CurrentPassword {
    /// The user is gone (deleted, or moved to another address, since the token was checked).
    Gone,
    Store(StoreError),
}

impl From<StoreError> for CurrentPassword {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}
