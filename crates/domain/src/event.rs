use crate::session::{ClientInfo, SessionId};
use crate::user::UserId;
use chrono::{DateTime, Utc};

/// What a security event records. Never a password, a token or a hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    Register,
    LoginSucceeded,
    LoginFailed,
    LoginThrottled,
    Refresh,
    RefreshReuseDetected,
    Logout,
    SessionEnded,
    PasswordChanged,
    /// A wrong current password where one is asked for again (a password change).
    PasswordCheckFailed,
    UserDeleted,
    /// A signing key was added after another (by the schedule or `auth-server keys rotate`).
    KeyRotated,
    /// A signing key was taken out of use (`auth-server keys revoke`).
    KeyRevoked,
    /// A session started by an operator without a password (`auth-server tokens mint`, for load tests).
    SessionMinted,
    /// An address proved by its verification link.
    EmailVerified,
    /// A verification email asked for again.
    VerificationSent,
    /// A reset link asked for (for an address with or without an account).
    PasswordResetRequested,
    /// A password set through a reset link.
    PasswordReset,
    /// A change of address asked for (the link goes to the new one).
    EmailChangeRequested,
    /// The account moved to a new address through its link.
    EmailChanged,
    /// A user deleted their own account.
    AccountDeleted,
    /// An email not queued: its address had `email.max_per_address_per_hour` emails within the hour.
    MailCapped,
}

impl EventKind {
    pub const ALL: [Self; 22] = [
        Self::Register,
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::LoginThrottled,
        Self::Refresh,
        Self::RefreshReuseDetected,
        Self::Logout,
        Self::SessionEnded,
        Self::PasswordChanged,
        Self::PasswordCheckFailed,
        Self::UserDeleted,
        Self::KeyRotated,
        Self::KeyRevoked,
        Self::SessionMinted,
        Self::EmailVerified,
        Self::VerificationSent,
        Self::PasswordResetRequested,
        Self::PasswordReset,
        Self::EmailChangeRequested,
        Self::EmailChanged,
        Self::AccountDeleted,
        Self::MailCapped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::LoginSucceeded => "login_succeeded",
            Self::LoginFailed => "login_failed",
            Self::LoginThrottled => "login_throttled",
            Self::Refresh => "refresh",
            Self::RefreshReuseDetected => "refresh_reuse_detected",
            Self::Logout => "logout",
            Self::SessionEnded => "session_ended",
            Self::PasswordChanged => "password_changed",
            Self::PasswordCheckFailed => "password_check_failed",
            Self::UserDeleted => "user_deleted",
            Self::KeyRotated => "key_rotated",
            Self::KeyRevoked => "key_revoked",
            Self::SessionMinted => "session_minted",
            Self::EmailVerified => "email_verified",
            Self::VerificationSent => "verification_sent",
            Self::PasswordResetRequested => "password_reset_requested",
            Self::PasswordReset => "password_reset",
            Self::EmailChangeRequested => "email_change_requested",
            Self::EmailChanged => "email_changed",
            Self::AccountDeleted => "account_deleted",
            Self::MailCapped => "mail_capped",
        }
    }
}

/// An event to store, in the transaction of the change it records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    pub user_id: Option<UserId>,
    /// The email the event concerns, when it is a valid address (never what a client typed otherwise:
    /// people type passwords into email fields).
    pub email: Option<String>,
    pub client: ClientInfo,
    pub session_id: Option<SessionId>,
}

impl NewEvent {
    /// An event of the service itself: no user, no client, no session (a key rotation).
    pub fn system(kind: EventKind, at: DateTime<Utc>) -> Self {
        Self { at, kind, user_id: None, email: None, client: ClientInfo::default(), session_id: None }
    }
}

/// A stored event. `count` is above one only for aggregated kinds (`login_throttled`: one row per
/// client, email and window however many attempts were refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub user_id: Option<UserId>,
    pub email: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub session_id: Option<String>,
    pub count: u64,
}

/// Which events to read, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventQuery {
    pub email: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub limit: u32,
}

impl EventQuery {
    pub const MAX_LIMIT: u32 = 1000;
    pub const DEFAULT_LIMIT: u32 = 100;
}
