//! What the outbox holds: an email to send, written in the transaction of the change that causes it.

use super::link::{LinkHash, LinkKind, LinkToken};
use crate::user::UserId;
use chrono::{DateTime, TimeDelta, Utc};

/// Which email: each has its templates (the mail crate) and, when it carries a link, the link's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailKind {
    /// A link to verify the address (after registering, or asked for again).
    VerifyEmail,
    /// A link to set a new password.
    PasswordResetLink,
    /// The password was reset (to the address, in case it was not its owner).
    PasswordResetNotice,
    /// A link, sent to the new address, that moves the account to it.
    EmailChangeLink,
    /// A change of address was asked for (to the old address).
    EmailChangeNotice,
}

impl MailKind {
    pub const ALL: [Self; 5] = [
        Self::VerifyEmail,
        Self::PasswordResetLink,
        Self::PasswordResetNotice,
        Self::EmailChangeLink,
        Self::EmailChangeNotice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::PasswordResetLink => "password_reset_link",
            Self::PasswordResetNotice => "password_reset_notice",
            Self::EmailChangeLink => "email_change_link",
            Self::EmailChangeNotice => "email_change_notice",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The kind of link the email carries, if it carries one.
    pub fn link(self) -> Option<LinkKind> {
        match self {
            Self::VerifyEmail => Some(LinkKind::Verify),
            Self::PasswordResetLink => Some(LinkKind::Reset),
            Self::EmailChangeLink => Some(LinkKind::Change),
            Self::PasswordResetNotice | Self::EmailChangeNotice => None,
        }
    }

    /// The hosted page a link of this email opens (its form posts the token).
    pub fn page(self) -> Option<&'static str> {
        self.link().map(|kind| match kind {
            LinkKind::Verify => "/auth/verify",
            LinkKind::Reset => "/auth/reset",
            LinkKind::Change => "/auth/email/confirm",
        })
    }
}

/// A link to store with its email: only the token's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLink {
    pub hash: LinkHash,
    pub kind: LinkKind,
    /// The address it is sent to.
    pub email: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// An email to queue. `user_id` is set by the store when the same transaction creates the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    pub kind: MailKind,
    pub recipient: String,
    pub user_id: Option<UserId>,
    /// The link's token sealed with the key-encryption key (`MailSealer`), for the sender only.
    pub sealed_link: Option<String>,
    /// What the email says besides (an email change's new address).
    pub detail: Option<String>,
    /// `NoAccount`: a reset asked for an address that has no account. The row is written as for any
    /// other address (the same statements, the same cap), and never sent.
    pub state: OutboxState,
    pub created_at: DateTime<Utc>,
    pub give_up_at: DateTime<Utc>,
}

/// At most `per_address` emails to one address since `since` (an hour ago): past it nothing more is
/// queued for it, whoever asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailCap {
    pub per_address: u32,
    pub since: DateTime<Utc>,
}

/// Whether emails were queued or the cap of one of their addresses stopped them (then nothing changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queued {
    Queued,
    Capped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxState {
    Queued,
    Sent,
    /// Not sent within `email.max_attempt_hours`: given up (`auth-server outbox retry` queues it again).
    Dead,
    NoAccount,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Dead => "dead",
            Self::NoAccount => "no_account",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Queued, Self::Sent, Self::Dead, Self::NoAccount].into_iter().find(|s| s.as_str() == text)
    }
}

/// A link as stored, found by its token's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLink {
    pub kind: LinkKind,
    /// `None` for a reset asked for an address without an account: never usable.
    pub user_id: Option<UserId>,
    pub email: String,
    pub expires_at: DateTime<Utc>,
    pub used: bool,
    pub voided: bool,
}

impl StoredLink {
    /// Whether the link may still be used: of an account, not used, not voided, not expired.
    pub fn usable(&self, kind: LinkKind, now: DateTime<Utc>) -> Option<UserId> {
        (self.kind == kind && !self.used && !self.voided && self.expires_at > now).then_some(self.user_id).flatten()
    }
}

/// An outbox row claimed by this instance: until `lease` passes, no other instance takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedMail {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub sealed_link: Option<String>,
    pub detail: Option<String>,
    /// This attempt's number (1 for the first); the row is marked sent or failed only for it.
    pub attempt: u64,
    pub give_up_at: DateTime<Utc>,
}

/// An email ready to render and send: the link's token opened.
#[derive(Debug)]
pub struct Delivery {
    pub id: i64,
    pub attempt: u64,
    pub kind: MailKind,
    pub to: String,
    pub link: Option<LinkToken>,
    pub detail: Option<String>,
    pub give_up_at: DateTime<Utc>,
}

/// What became of an email that could not be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailFailure {
    /// Tried again then.
    RetryAt(DateTime<Utc>),
    /// Past its `give_up_at`: marked dead.
    GaveUp,
}

impl MailFailure {
    /// The first retry comes after 2 s, each next one after twice as long, at most 10 minutes apart,
    /// and none after `give_up_at`.
    pub fn after(attempt: u64, now: DateTime<Utc>, give_up_at: DateTime<Utc>) -> Self {
        let seconds = 1_i64 << attempt.clamp(1, 10);
        let at = now + TimeDelta::seconds(seconds.min(600));
        if at >= give_up_at { Self::GaveUp } else { Self::RetryAt(at) }
    }
}

/// An outbox row as `auth-server outbox list` shows it (never the link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub state: String,
    pub attempts: u64,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// How many rows wait to be sent, and how many were given up (metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxCounts {
    pub queued: u64,
    pub dead: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn retries_back_off_and_stop_at_the_deadline() {
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
        let far = now + TimeDelta::days(1);
        let waits: Vec<i64> = (1..=12)
            .map(|attempt| match MailFailure::after(attempt, now, far) {
                MailFailure::RetryAt(at) => (at - now).num_seconds(),
                MailFailure::GaveUp => -1,
            })
            .collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600, 600]);
        assert_eq!(MailFailure::after(3, now, now + TimeDelta::seconds(8)), MailFailure::GaveUp);
        assert_eq!(
            MailFailure::after(3, now, now + TimeDelta::seconds(9)),
            MailFailure::RetryAt(now + TimeDelta::seconds(8))
        );
    }

    #[test]
    fn kinds_and_states_round_trip() {
        for kind in MailKind::ALL {
            assert_eq!(MailKind::parse(kind.as_str()), Some(kind));
        }
        for state in [OutboxState::Queued, OutboxState::Sent, OutboxState::Dead, OutboxState::NoAccount] {
            assert_eq!(OutboxState::parse(state.as_str()), Some(state));
        }
        assert_eq!(MailKind::EmailChangeLink.page(), Some("/auth/email/confirm"));
        assert_eq!(MailKind::PasswordResetNotice.page(), None);
    }
}
