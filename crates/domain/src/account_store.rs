//! What the account's life by email needs from storage: links, the outbox, and the changes a link makes.
//! Each method is one transaction (or one statement).

use crate::email::Email;
use crate::event::NewEvent;
use crate::mail::{ClaimedMail, LinkHash, MailCap, NewLink, NewMail, OutboxCounts, OutboxRow, Queued, StoredLink};
use crate::password_hasher::PasswordHash;
use crate::store::StoreError;
use crate::user::UserId;
use chrono::{DateTime, Utc};

/// What confirming an email change found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailChanged {
    /// The account has the new address (verified: the link proved it); every other link is void.
    Changed { user_id: UserId, old: String, new: String },
    /// No usable link (unknown, used, voided, expired): nothing changed.
    Invalid,
    /// Another account has the address now: nothing changed, the link still works.
    Taken,
}

pub trait AccountStore: Send + Sync {
    /// Queues `mails` (and stores `link`, voiding the user's older links of its kind) with `event`, in
    /// one transaction, unless one of the recipients already had `cap.per_address` emails since
    /// `cap.since` (then nothing is written: `Capped`). The same statements run whether or not `user`
    /// is set (a reset for an address without an account), so the time taken tells nothing.
    fn queue_mail(
        &self,
        user: Option<UserId>,
        link: Option<&NewLink>,
        mails: &[NewMail],
        cap: &MailCap,
        event: &NewEvent,
    ) -> Result<Queued, StoreError>;

    /// The link whose token has this hash, used or not.
    fn find_link(&self, hash: &LinkHash) -> Result<Option<StoredLink>, StoreError>;

    /// Uses a verification link: marks it used and the user's address verified (if the address is still
    /// the one it was sent to), with `event`, in one transaction; the user, or `None` when the link is
    /// not usable (of two concurrent uses exactly one succeeds).
    fn verify_email(&self, hash: &LinkHash, now: DateTime<Utc>, event: &NewEvent)
    -> Result<Option<UserId>, StoreError>;

    /// Uses a reset link: sets the password, counts the address as verified, ends every session, voids
    /// every outstanding reset link, queues `notice` and stores `event`, in one transaction; the user, or
    /// `None` when the link is not usable.
    fn reset_password(
        &self,
        hash: &LinkHash,
        password: &PasswordHash,
        now: DateTime<Utc>,
        notice: &NewMail,
        event: &NewEvent,
    ) -> Result<Option<UserId>, StoreError>;

    /// Uses an email-change link: the account takes the address it went to, in one transaction with
    /// `event` (whose user and email the store sets).
    fn change_email(&self, hash: &LinkHash, now: DateTime<Utc>, event: &NewEvent) -> Result<EmailChanged, StoreError>;

    /// Deletes the user with this email: their sessions, revocations, links, counters and unsent emails
    /// go with them, and their events stay without the address; `event` is stored (with the user's id),
    /// all in one transaction. false when no user has this email.
    fn delete_account(&self, email: &Email, event: &NewEvent) -> Result<bool, StoreError>;

    /// Deletes links that expired before `before`; how many.
    fn prune_links(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// The outbox as the sender and the operators see it.
pub trait OutboxStore: Send + Sync {
    /// Claims up to `limit` queued rows due at `now` (oldest first) for this instance until `lease_until`,
    /// counting an attempt on each, in one statement or transaction; rows another instance has claimed
    /// are skipped (PostgreSQL: `FOR UPDATE SKIP LOCKED`), so no row is sent by two.
    fn claim_mail(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ClaimedMail>, StoreError>;

    /// Marks the row sent and drops its sealed link, if `attempt` is still its latest; whether it was.
    fn mail_sent(&self, id: i64, attempt: u64, now: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Records a failed attempt: the row is due again at `retry_at`, or (`None`) dead.
    fn mail_failed(
        &self,
        id: i64,
        attempt: u64,
        retry_at: Option<DateTime<Utc>>,
        error: &str,
    ) -> Result<bool, StoreError>;

    /// The newest `limit` rows, or those in `state`.
    fn outbox_rows(&self, state: Option<&str>, limit: u32) -> Result<Vec<OutboxRow>, StoreError>;

    /// Queues a dead or queued row again, due now and given up at `give_up_at`; false when there is no
    /// such row (or it was sent).
    fn retry_mail(&self, id: i64, now: DateTime<Utc>, give_up_at: DateTime<Utc>) -> Result<bool, StoreError>;

    fn outbox_counts(&self) -> Result<OutboxCounts, StoreError>;

    /// Deletes sent, dead and never-sent rows created before `before`; how many.
    fn prune_mail(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}
