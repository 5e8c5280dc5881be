//! The sender's side of the outbox: claim due emails, open their links, record how sending went; and
//! what operators do with it (`auth-server outbox`).

use crate::mail::{Delivery, LinkToken, MailFailure, MailKind, OutboxCounts, OutboxRow};
use crate::service::AuthService;
use crate::store::StoreError;
use chrono::TimeDelta;

impl AuthService {
    /// Claims up to `limit` due emails for this instance and opens their links. A row whose kind this
    /// version does not know, or whose link does not open (`tokens.key_encryption_key` changed), cannot
    /// be sent by any attempt: it is marked dead at once (and logged at ERROR).
    pub fn claim_mail(&self, limit: u32) -> Result<Vec<Delivery>, StoreError> {
        let now = self.clock.now();
        let claimed = self.outbox.claim_mail(now, now + self.mail.policy.lease, limit)?;
        let mut deliveries = Vec::with_capacity(claimed.len());
        for mail in claimed {
            let kind = MailKind::parse(&mail.kind);
            let link = match (kind.and_then(MailKind::link), &mail.sealed_link, &self.mail.sealer) {
                (None, _, _) => Ok(None),
                (Some(_), Some(sealed), Some(sealer)) => sealer
                    .open(&mail.kind, &mail.recipient, sealed)
                    .and_then(|text| LinkToken::parse(&text))
                    .map(Some)
                    .ok_or("its link does not open with tokens.key_encryption_key"),
                (Some(_), _, _) => Err("its link is missing"),
            };
            match (kind, link) {
                (Some(kind), Ok(link)) => deliveries.push(Delivery {
                    id: mail.id,
                    attempt: mail.attempt,
                    kind,
                    to: mail.recipient,
                    link,
                    detail: mail.detail,
                    give_up_at: mail.give_up_at,
                }),
                (None, _) => self.give_up(mail.id, mail.attempt, &format!("unknown kind {:?}", mail.kind))?,
                (Some(_), Err(why)) => self.give_up(mail.id, mail.attempt, why)?,
            }
        }
        Ok(deliveries)
    }

    fn give_up(&self, id: i64, attempt: u64, why: &str) -> Result<(), StoreError> {
        tracing::error!(outbox.id = id, why, "email cannot be sent; marked dead");
        self.outbox.mail_failed(id, attempt, None, why)?;
        Ok(())
    }

    /// Records an email handed to the mail server: the row is sent and its sealed link dropped.
    pub fn mail_sent(&self, delivery: &Delivery) -> Result<(), StoreError> {
        if !self.outbox.mail_sent(delivery.id, delivery.attempt, self.clock.now())? {
            tracing::warn!(outbox.id = delivery.id, "email sent after its claim had passed to another attempt");
        }
        Ok(())
    }

    /// Records a failed send: retried with exponential backoff until `email.max_attempt_hours` have
    /// passed since it was queued, then dead (logged at ERROR); at once dead when no attempt can succeed
    /// (`permanent`: the mail server refused the recipient for good).
    pub fn mail_failed(&self, delivery: &Delivery, error: &str, permanent: bool) -> Result<MailFailure, StoreError> {
        let failure = match permanent {
            true => MailFailure::GaveUp,
            false => MailFailure::after(delivery.attempt, self.clock.now(), delivery.give_up_at),
        };
        let retry_at = match failure {
            MailFailure::RetryAt(at) => Some(at),
            MailFailure::GaveUp => {
                tracing::error!(outbox.id = delivery.id, attempts = delivery.attempt, error, "email given up");
                None
            }
        };
        self.outbox.mail_failed(delivery.id, delivery.attempt, retry_at, error)?;
        Ok(failure)
    }

    /// The newest `limit` outbox rows, or those in `state` (`auth-server outbox list`).
    pub fn outbox(&self, state: Option<&str>, limit: u32) -> Result<Vec<OutboxRow>, StoreError> {
        self.outbox.outbox_rows(state, limit)
    }

    /// Queues a row again (`auth-server outbox retry`), due now, with a fresh `email.max_attempt_hours`;
    /// false when there is no such unsent row.
    pub fn retry_mail(&self, id: i64) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let retried = self.outbox.retry_mail(id, now, now + self.mail.policy.max_attempt)?;
        if retried {
            self.mail.waker.wake();
        }
        Ok(retried)
    }

    pub fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        self.outbox.outbox_counts()
    }

    /// How long the sender may take over one email before another instance may claim it again.
    pub fn mail_lease(&self) -> TimeDelta {
        self.mail.policy.lease
    }
}
