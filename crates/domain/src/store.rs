//! What the use cases need from storage. Each method is one atomic operation: the persistence crate
//! implements it with one statement or one transaction.

use crate::email::Email;
use crate::event::{Event, EventQuery, NewEvent};
use crate::mail::{NewLink, NewMail};
use crate::password_hasher::PasswordHash;
use crate::session::{ClientInfo, EndReason, RefreshClaim, SessionId, SessionInfo, SessionPolicy};
use crate::throttle::{Reserved, ThrottleKey};
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
    /// The token is revoked and the sessions the scope names have ended (`Others` revokes nothing of the
    /// caller's own: its token and session live on).
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
    /// Every other session of the user; this one, and the token, stay.
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

/// Since when a session must have been active, and started, to be live (`SessionPolicy::live_after`):
/// a session past its idle or absolute lifetime has died by time, and its tokens with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveAfter {
    pub active_after: DateTime<Utc>,
    pub started_after: DateTime<Utc>,
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
    /// Inserts the user, and with it the session its registration starts and its verification link and
    /// email (one transaction); a duplicate email (the database's unique index decides) is `EmailTaken`.
    /// `event` and the email (their user id set by the store) are stored in the same transaction.
    fn insert_user(
        &self,
        new_user: &NewUser,
        session: Option<&NewSession>,
        event: &NewEvent,
        verification: Option<(&NewLink, &NewMail)>,
    ) -> Result<User, InsertUserError>;

    fn find_credentials_by_email(&self, email: &Email) -> Result<Option<UserCredentials>, StoreError>;

    /// For each token, in order: its user (`None`: gone), whether its `jti` is revoked, and the state
    /// of its session, which counts as ended once it is past `live` (idle or absolute lifetime). One
    /// round trip for the lot where the backend can read them in one statement, so the checks of
    /// concurrent requests share it.
    fn check_tokens(&self, tokens: &[TokenLookup], live: LiveAfter) -> Result<Vec<Option<TokenCheck>>, StoreError>;

    /// Sets the admin flag; `None` when no user has this email.
    fn set_admin(&self, email: &Email, admin: bool) -> Result<Option<User>, StoreError>;

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
    /// Counts one attempt under every key before it is tried, in one transaction: unless one of the keys
    /// is blocked after `now` (then nothing is counted: `Blocked`), each key's count grows by one (a key
    /// whose window has ended starts a new one), and a key that reaches its limit is blocked as the
    /// limit says. Concurrent calls never lose a count and each sees its own, so N concurrent attempts
    /// against a limit of 5 let exactly 5 through.
    fn reserve_attempt(&self, keys: &[ThrottleKey], now: DateTime<Utc>) -> Result<Reserved, StoreError>;

    /// Gives back what a successful attempt counted: deletes the `clear` counters and takes the
    /// attempt off each `release` counter (lifting a block that counter no longer reaches).
    fn release_attempt(
        &self,
        clear: &[ThrottleKey],
        release: &[ThrottleKey],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

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

/// A signing key as stored. `previous_kid` is the key it follows ("" for the first): unique, so of two
/// instances rotating at once exactly one adds its key.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub kid: String,
    pub previous_kid: String,
    pub created_at: DateTime<Utc>,
    pub signs_from: DateTime<Utc>,
    /// The public key (32 bytes), base64url.
    pub public_key: String,
    /// `nonce ‖ XChaCha20-Poly1305(PKCS#8 private key)`, base64.
    pub sealed_private_key: String,
    /// When `auth-server keys revoke` took it out of use.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl StoredKey {
    /// The event a store writes with this key when it follows another (the first key is no rotation).
    pub fn rotation_event(&self) -> Option<NewEvent> {
        (!self.previous_kid.is_empty()).then(|| NewEvent::system(crate::event::EventKind::KeyRotated, self.created_at))
    }
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("previous_kid", &self.previous_kid)
            .field("created_at", &self.created_at)
            .field("signs_from", &self.signs_from)
            .field("public_key", &self.public_key)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

/// The signing keys every instance shares.
pub trait KeyStore: Send + Sync {
    /// Every signing key, oldest first.
    fn signing_keys(&self) -> Result<Vec<StoredKey>, StoreError>;

    /// Adds the key unless another already follows `key.previous_kid`; whether it was added. A key that
    /// follows another is a rotation: a `key_rotated` event is stored with it, in one transaction.
    fn add_signing_key(&self, key: &StoredKey) -> Result<bool, StoreError>;

    /// Marks the key revoked at `at` and stores a `key_revoked` event, in one transaction; false when no
    /// key has this kid or it was revoked already.
    fn revoke_signing_key(&self, kid: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;
}
