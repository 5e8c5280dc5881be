//! A forgotten password: a reset link by email, and the new password set through it.

use super::mail::MailError;
use crate::attempt::AttemptError;
use crate::email::{Email, EmailError};
use crate::event::EventKind;
use crate::mail::{LinkHash, LinkKind, LinkToken, MailKind, NewMail, OutboxState};
use crate::password::{Password, PasswordError};
use crate::password_hasher::HashError;
use crate::service::AuthService;
use crate::session::ClientInfo;
use crate::store::StoreError;
use crate::throttle::Throttled;
use crate::user::UserId;
use secrecy::SecretString;

#[derive(Debug, thiserror::Error)]
pub enum ForgotPasswordError {
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error(transparent)]
    InvalidEmail(#[from] EmailError),
    /// Too many requests from this client within the hour.
    #[error("too many reset requests")]
    Throttled(Throttled),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AttemptError> for ForgotPasswordError {
    fn from(e: AttemptError) -> Self {
        match e {
            AttemptError::Throttled(t) => Self::Throttled(t),
            AttemptError::Store(e) => Self::Store(e),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ResetPasswordError {
    #[error("invalid or expired link")]
    InvalidLink,
    #[error(transparent)]
    InvalidPassword(#[from] PasswordError),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A reset whose link and new password were checked, waiting for its hash (`finish_password_reset`).
#[derive(Debug)]
#[must_use = "a reset is finished or dropped"]
pub struct PasswordReset {
    hash: LinkHash,
    user: UserId,
    email: String,
    password: Password,
    client: ClientInfo,
}

impl AuthService {
    /// Queues a reset link to `email` if it has an account, and answers the same either way: an address
    /// without an account gets the same rows written (a link of no account, an outbox row that is never
    /// sent), with no bcrypt on either path, so neither the answer nor its time tells whether it has one.
    /// Counted per client (`abuse.forgot_per_ip_per_hour`), never per address; past the address's hourly
    /// cap nothing more is queued, silently.
    pub fn forgot_password(&self, email: &str, client: ClientInfo) -> Result<(), ForgotPasswordError> {
        self.mail_on()?;
        let email = Email::parse(email)?;
        let attempt = self.count_reset_request(&client)?;
        // every request counts, answered or not: the attempt is kept as counted
        drop(attempt);
        let user = self.users.find_credentials_by_email(&email)?.map(|c| c.user.id);
        let state = if user.is_some() { OutboxState::Queued } else { OutboxState::NoAccount };
        let (link, mail) = self.new_link_mail(MailKind::PasswordResetLink, email.as_str(), None, state)?;
        let mail = NewMail { user_id: user, ..mail };
        let event = self.event(EventKind::PasswordResetRequested, user, Some(email.as_str()), &client, None);
        self.queue_mail(user, Some(&link), &[mail], &event)?;
        tracing::info!(account = user.is_some(), "password reset asked for");
        Ok(())
    }

    /// Both halves of a reset, on the calling thread.
    pub fn reset_password(
        &self,
        token: &str,
        new_password: SecretString,
        client: ClientInfo,
    ) -> Result<UserId, ResetPasswordError> {
        let reset = self.begin_password_reset(token, new_password, client)?;
        self.finish_password_reset(reset)
    }

    /// The first half, which hashes nothing: the new password must satisfy the policy (a bad one leaves
    /// the link working), and the link must be a usable reset link.
    pub fn begin_password_reset(
        &self,
        token: &str,
        new_password: SecretString,
        client: ClientInfo,
    ) -> Result<PasswordReset, ResetPasswordError> {
        let password = Password::new(new_password, &self.policy)?;
        let token = LinkToken::parse(token).ok_or(ResetPasswordError::InvalidLink)?;
        let hash = token.hash();
        let link = self.accounts.find_link(&hash)?.ok_or(ResetPasswordError::InvalidLink)?;
        let user = link.usable(LinkKind::Reset, self.now()).ok_or(ResetPasswordError::InvalidLink)?;
        Ok(PasswordReset { hash, user, email: link.email, password, client })
    }

    /// The second half: the password is set, the address counts as verified, every session ends (every
    /// access token is refused), every outstanding reset link is void and a notice goes to the address,
    /// in one transaction that uses the link (of two concurrent resets with one link, one succeeds).
    pub fn finish_password_reset(&self, reset: PasswordReset) -> Result<UserId, ResetPasswordError> {
        let PasswordReset { hash, user, email, password, client } = reset;
        let password_hash = self.hasher.hash(&password)?;
        let notice = NewMail {
            user_id: Some(user),
            ..self.new_mail(MailKind::PasswordResetNotice, &email, None, None, OutboxState::Queued)?
        };
        let event = self.event(EventKind::PasswordReset, Some(user), Some(&email), &client, None);
        let reset = self.accounts.reset_password(&hash, &password_hash, self.now(), &notice, &event)?;
        let user = reset.ok_or(ResetPasswordError::InvalidLink)?;
        self.mail.waker.wake();
        tracing::info!(user.id = %user, "password reset; every session ended");
        Ok(user)
    }
}
