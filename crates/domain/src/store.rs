//! What the use cases need from storage. Each method is one atomic operation: the persistence crate
//! implements it with one statement or one transaction.

use crate::email::Email;
use crate::event::{Event, EventQuery, NewEvent};
use crate::password_hasher::PasswordHash;
use crate::session::{ClientInfo, EndReason, RefreshClaim, SessionId, SessionInfo, SessionPolicy};
use crate::throttle::{Counted, ThrottleKey, ThrottleState};
use crate::token::TokenId;
use crate::user::{User, UserCredentials, UserId};
use chrono::{DateTime, Utc};

pub use crate::store_error::{Cause, ErrorChain, StoreError, cause};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InsertUserError {
    #[error("a user with this email already exists")]
    EmailTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub password_hash: PasswordHash,
    pub registered_on: DateTime<Utc>,
    pub admin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRevocation {
    pub jti: TokenId,
    pub user_id: UserId,
    pub revoked_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeOutcome {
    Revoked,
    /// The token was revoked already, or its session has ended.
    AlreadyRevoked,
    /// The token's user has been deleted, or its session does not exist.
    UnknownUser,
}

/// Which sessions a logout ends besides revoking the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutScope {
    /// The token's own session.
    Local,
    /// Every other session of the user; this one stays.
    Others,
    /// Every session of the user.
    Global,
}

/// A session about to start.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub id: SessionId,
    pub started_at: DateTime<Utc>,
    pub client: ClientInfo,
}

/// The state of the session an access token names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// The token names no session (issued before sessions existed).
    NotNamed,
    Live,
    Ended,
    /// No such session of this user: a restored backup or another database.
    Missing,
}

/// What the status of an access token needs, read in one round trip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCheck {
    pub user: User,
    pub revoked: bool,
    pub session: SessionState,
}

/// What identifies a verified access token to the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenLookup {
    pub user_id: UserId,
    pub jti: TokenId,
    pub session: Option<SessionId>,
}

/// The result of presenting a refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotateOutcome {
    /// The presented generation was current: the session moved to `generation`.
    Rotated { user_id: UserId, generation: u64 },
    /// The presented generation was consumed by the latest rotation, within the grace window: the
    /// result of that rotation again.
    Grace { user_id: UserId, generation: u64 },
    /// A consumed generation, outside the grace: the session has been ended.
    Reused { user_id: UserId },
    /// No live session (unknown, ended, expired).
    Invalid,
}

pub trait UserStore: Send + Sync {
    /// Inserts the user, and with it the session its registration starts (one transaction); a duplicate
    /// email (the database's unique index decides) is `EmailTaken`.
    /// `event` (its user id set by the store) is stored in the same transaction.
    fn insert_user(
        &self,
        new_user: &NewUser,
        session: Option<&NewSession>,
        event: &NewEvent,
    ) -> Result<User, InsertUserError>;

    fn find_credentials_by_email(&self, email: &Email) -> Result<Option<UserCredentials>, StoreError>;

    /// The user, whether `jti` is revoked and the state of `session`, read together in one round trip.
    fn check_token(
        &self,
        id: UserId,
        jti: &TokenId,
        session: Option<SessionId>,
    ) -> Result<Option<TokenCheck>, StoreError>;

    /// `check_token` for several tokens, answered in the same order: one round trip where the backend
    /// can read them all in one statement, so the status checks of concurrent requests share it.
    fn check_tokens(&self, tokens: &[TokenLookup]) -> Result<Vec<Option<TokenCheck>>, StoreError> {
        tokens.iter().map(|t| self.check_token(t.user_id, &t.jti, t.session)).collect()
    }

    /// Sets the admin flag; `None` when no user has this email.
    fn set_admin(&self, email: &Email, admin: bool) -> Result<Option<User>, StoreError>;

    /// Deletes the user and (by cascade) their revocations and sessions, and stores `event` (with the
    /// user's id) in the same transaction; false when no user has this email.
    fn delete_user(&self, email: &Email, event: &NewEvent) -> Result<bool, StoreError>;

    /// Replaces `old` with `new` only if `old` is still the stored hash (a password changed meanwhile
    /// wins); whether it did.
    fn replace_password_hash(&self, id: UserId, old: &PasswordHash, new: &PasswordHash) -> Result<bool, StoreError>;

    /// Stores the new hash and ends every session of the user but `keep`, in one transaction; false
    /// when the user is gone.
    fn change_password(
        &self,
        id: UserId,
        hash: &PasswordHash,
        keep: Option<SessionId>,
        now: DateTime<Utc>,
        event: &NewEvent,
    ) -> Result<bool, StoreError>;
}

pub trait SessionStore: Send + Sync {
    /// Starts a session for the user and ends the least recently active ones beyond `max_per_user`,
    /// in one transaction.
    fn start_session(
        &self,
        user: UserId,
        session: &NewSession,
        max_per_user: u32,
        event: &NewEvent,
    ) -> Result<(), StoreError>;

    /// Presents generation `claim.generation` of a session: one compare-and-swap moves a live session on
    /// from it; otherwise the grace window or reuse detection decides (see `RotateOutcome`). `event` is
    /// stored with it, as `refresh` or (when the session ends for reuse) `refresh_reuse_detected`, with
    /// the session's user; nothing for `Invalid`.
    fn rotate(
        &self,
        claim: RefreshClaim,
        now: DateTime<Utc>,
        policy: &SessionPolicy,
        event: &NewEvent,
    ) -> Result<RotateOutcome, StoreError>;

    /// The user's live sessions, newest first.
    fn live_sessions(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        policy: &SessionPolicy,
    ) -> Result<Vec<SessionInfo>, StoreError>;

    /// Ends one live session of the user; false when the user has no such live session.
    fn end_session(
        &self,
        user: UserId,
        session: SessionId,
        now: DateTime<Utc>,
        reason: EndReason,
        event: &NewEvent,
    ) -> Result<bool, StoreError>;

    /// Ends every live session of the user but `except`; returns how many.
    fn end_sessions(
        &self,
        user: UserId,
        except: Option<SessionId>,
        now: DateTime<Utc>,
        reason: EndReason,
        event: &NewEvent,
    ) -> Result<u64, StoreError>;

    /// Deletes sessions ended before `ended_before`, or inactive since before `inactive_before`, or
    /// started before `started_before`; returns how many.
    fn prune_sessions(
        &self,
        ended_before: DateTime<Utc>,
        inactive_before: DateTime<Utc>,
        started_before: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum NotReady {
    #[error("the database is unreachable")]
    Unavailable(#[source] Cause),
    #[error("{0} database migration(s) are pending")]
    PendingMigrations(usize),
    /// A write could not be committed: a full disk, a read-only file or mount, a read-only replica.
    #[error("the database cannot be written")]
    NotWritable(#[source] Cause),
    /// The SQLite file at the configured path is gone, or is another file than the one the service has
    /// open: what is written now would be lost at the next start.
    #[error("the database file {0} was removed or replaced while the service runs")]
    FileReplaced(String),
}

impl PartialEq for NotReady {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Unavailable(a), Self::Unavailable(b)) | (Self::NotWritable(a), Self::NotWritable(b)) => {
                a.to_string() == b.to_string()
            }
            (Self::PendingMigrations(a), Self::PendingMigrations(b)) => a == b,
            (Self::FileReplaced(a), Self::FileReplaced(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for NotReady {}

/// Whether storage can serve requests: reachable, writable, with its schema up to date.
pub trait Readiness: Send + Sync {
    fn check_ready(&self) -> Result<(), NotReady>;
}

pub trait RevocationStore: Send + Sync {
    /// Revokes the token and ends the sessions `scope` names, in one transaction. Of several concurrent
    /// calls for one `jti` exactly one returns `Revoked`; a token of an ended session is
    /// `AlreadyRevoked`, of a missing one `UnknownUser`.
    fn logout(
        &self,
        revocation: &NewRevocation,
        session: Option<SessionId>,
        scope: LogoutScope,
        event: &NewEvent,
    ) -> Result<RevokeOutcome, StoreError>;

    /// Deletes revocations whose token expired before `now`; returns how many.
    fn prune_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// Attempt counters shared by every instance on one database.
pub trait ThrottleStore: Send + Sync {
    /// One read: the latest time any of `keys` is blocked until, if after `now`, and which of them hold a
    /// count in a window that has not ended.
    fn throttle_state(&self, keys: &[ThrottleKey], now: DateTime<Utc>) -> Result<ThrottleState, StoreError>;

    /// Counts one attempt under every key, in one transaction: a key whose window has ended starts a new
    /// one; a key past its limit is blocked as its limit says. Returns each key's count after this one,
    /// in the order of `keys`. Concurrent calls never lose a count, and each sees its own.
    /// `event` (a failed login), when given, is stored in the same transaction.
    fn count_attempt(
        &self,
        keys: &[ThrottleKey],
        now: DateTime<Utc>,
        event: Option<&NewEvent>,
    ) -> Result<Vec<Counted>, StoreError>;

    /// Deletes these counters (a successful login clears its pair's).
    fn clear_counters(&self, ids: &[String]) -> Result<(), StoreError>;

    /// Deletes every counter of this email (`auth-server user unlock`); how many.
    fn clear_email_counters(&self, email: &str) -> Result<u64, StoreError>;

    /// Deletes counters whose window ended before `window_ended_before` and that block nobody after `now`.
    fn prune_counters(&self, window_ended_before: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// The security event log.
pub trait EventStore: Send + Sync {
    /// Stores an event that records no change of its own (a refused attempt). With `aggregate`, events
    /// of one key are one row whose count grows (its time is the latest), not a row each.
    fn record_event(&self, event: &NewEvent, aggregate: Option<&str>) -> Result<(), StoreError>;

    /// Events newest first: of one email (as recorded, or of the user who has it now), since a time.
    fn events(&self, query: &EventQuery) -> Result<Vec<Event>, StoreError>;

    /// Deletes events older than `before`; how many.
    fn prune_events(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}
