//! Verifying an address: the link from the registration email (or one asked for again).

use super::mail::MailError;
use crate::event::EventKind;
use crate::mail::{LinkToken, MailKind, OutboxState};
use crate::principal::Principal;
use crate::service::AuthService;
use crate::session::ClientInfo;
use crate::store::StoreError;
use crate::user::UserId;

#[derive(Debug, thiserror::Error)]
pub enum VerifyEmailError {
    /// Not a token, or one that is unknown, used, voided or expired.
    #[error("invalid or expired link")]
    InvalidLink,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum ResendVerificationError {
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What asking for the verification email again did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resent {
    /// A new link is queued (the older ones are void); also when the hourly cap stopped it, which the
    /// caller is not told apart.
    Sent,
    AlreadyVerified,
}

impl AuthService {
    /// Uses a verification link: the address is verified. A link works once; a newer one voids it.
    pub fn verify_email(&self, token: &str, client: ClientInfo) -> Result<UserId, VerifyEmailError> {
        let token = LinkToken::parse(token).ok_or(VerifyEmailError::InvalidLink)?;
        let now = self.now();
        let event = self.event(EventKind::EmailVerified, None, None, &client, None);
        let user = self.accounts.verify_email(&token.hash(), now, &event)?.ok_or(VerifyEmailError::InvalidLink)?;
        tracing::info!(user.id = %user, "email verified");
        Ok(user)
    }

    /// Queues a new verification email to the caller's address, unless it is verified already.
    pub fn resend_verification(
        &self,
        caller: &Principal,
        client: ClientInfo,
    ) -> Result<Resent, ResendVerificationError> {
        self.mail_on()?;
        let user = &caller.user;
        if user.email_verified_at.is_some() {
            return Ok(Resent::AlreadyVerified);
        }
        let (link, mail) = self.new_link_mail(MailKind::VerifyEmail, user.email.as_str(), None, OutboxState::Queued)?;
        let mail = crate::mail::NewMail { user_id: Some(user.id), ..mail };
        let event =
            self.event(EventKind::VerificationSent, Some(user.id), Some(user.email.as_str()), &client, caller.session);
        self.queue_mail(Some(user.id), Some(&link), &[mail], &event)?;
        Ok(Resent::Sent)
    }
}
