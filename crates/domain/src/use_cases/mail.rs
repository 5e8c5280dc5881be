//! What every use case that sends an email shares: links made, sealed and queued with their emails.

use crate::event::{EventKind, NewEvent};
use crate::mail::{LinkToken, MailCap, MailKind, NewLink, NewMail, OutboxState, Queued};
use crate::service::AuthService;
use crate::store::StoreError;
use crate::user::UserId;
use chrono::TimeDelta;

/// Why an email could not be queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// `email.transport = "none"`.
    #[error("email is not configured")]
    NotConfigured,
    #[error("the system's random number generator failed")]
    Random,
}

impl AuthService {
    /// Refuses what needs an email when there is no transport.
    pub(crate) fn mail_on(&self) -> Result<(), MailError> {
        if self.mail.policy.enabled { Ok(()) } else { Err(MailError::NotConfigured) }
    }

    /// An email to `recipient`, queued now; `link`, when given, sealed into it.
    pub(crate) fn new_mail(
        &self,
        kind: MailKind,
        recipient: &str,
        link: Option<&LinkToken>,
        detail: Option<String>,
        state: OutboxState,
    ) -> Result<NewMail, MailError> {
        let sealed_link = match (link, &self.mail.sealer) {
            (None, _) => None,
            (Some(token), Some(sealer)) => {
                Some(sealer.seal(kind.as_str(), recipient, token.expose()).ok_or(MailError::Random)?)
            }
            (Some(_), None) => return Err(MailError::NotConfigured),
        };
        let now = self.now();
        Ok(NewMail {
            kind,
            recipient: recipient.to_owned(),
            user_id: None,
            // a row that is never sent keeps no link, even sealed (the sealing ran all the same)
            sealed_link: sealed_link.filter(|_| state == OutboxState::Queued),
            detail,
            state,
            created_at: now,
            give_up_at: now + self.mail.policy.max_attempt,
        })
    }

    /// A new link for the email `kind` to `recipient`, and the email carrying it.
    pub(crate) fn new_link_mail(
        &self,
        kind: MailKind,
        recipient: &str,
        detail: Option<String>,
        state: OutboxState,
    ) -> Result<(NewLink, NewMail), MailError> {
        let link_kind = kind.link().ok_or(MailError::NotConfigured)?;
        let token = LinkToken::generate().ok_or(MailError::Random)?;
        let now = self.now();
        let link = NewLink {
            hash: token.hash(),
            kind: link_kind,
            email: recipient.to_owned(),
            created_at: now,
            expires_at: now + self.mail.policy.ttl(link_kind),
        };
        let mail = self.new_mail(kind, recipient, Some(&token), detail, state)?;
        Ok((link, mail))
    }

    /// Queues `mails` (with `link`) and `event` unless an address is past its hourly cap; then records a
    /// `mail_capped` event instead. Wakes the sender when something was queued.
    pub(crate) fn queue_mail(
        &self,
        user: Option<UserId>,
        link: Option<&NewLink>,
        mails: &[NewMail],
        event: &NewEvent,
    ) -> Result<Queued, StoreError> {
        let per_address = match self.mail.policy.max_per_address_per_hour {
            0 => u32::MAX,
            n => n,
        };
        let cap = MailCap { per_address, since: self.now() - TimeDelta::hours(1) };
        let queued = self.accounts.queue_mail(user, link, mails, &cap, event)?;
        match queued {
            Queued::Queued => self.mail.waker.wake(),
            Queued::Capped => {
                tracing::info!(kind = event.kind.as_str(), "email not queued: its address reached the hourly cap");
                let capped = NewEvent { kind: EventKind::MailCapped, ..event.clone() };
                self.events.record_event(&capped, None)?;
            }
        }
        Ok(queued)
    }
}
