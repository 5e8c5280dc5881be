//! What the use cases need from storage. Each method is one atomic operation: the persistence crate
//! implements it with one statement or one transaction.

use crate::email::Email;
use crate::password_hasher::PasswordHash;
use crate::token::TokenId;
use crate::user::{User, UserCredentials, UserId};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// What the storage layer said went wrong, kept as the error's `source()` for the log; it never
/// reaches a client.
pub type Cause = Arc<dyn std::error::Error + Send + Sync>;

/// A cause that is only a message.
pub fn cause(message: impl Into<String>) -> Cause {
    Arc::from(Box::<dyn std::error::Error + Send + Sync>::from(message.into()))
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// No connection could be had (the database is down or every connection is busy): worth retrying
    /// later. The storage layer logs the cause once per outage, so callers need not.
    #[error("database unavailable")]
    Unavailable(#[source] Cause),
    /// A statement failed or timed out on a connection that was working.
    #[error("database query failed")]
    Query(#[source] Cause),
    /// The database answered with something the domain cannot accept (a bug or a hand-edited row).
    #[error("unexpected data in the database: {0}")]
    Corrupt(String),
}

/// Equal when of the same kind for the same reason (as the causes print).
impl PartialEq for StoreError {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Unavailable(a), Self::Unavailable(b)) | (Self::Query(a), Self::Query(b)) => {
                a.to_string() == b.to_string()
            }
            (Self::Corrupt(a), Self::Corrupt(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for StoreError {}

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
    AlreadyRevoked,
    /// The token's user has been deleted.
    UnknownUser,
}

pub trait UserStore: Send + Sync {
    /// Inserts the user; a duplicate email (the database's unique index decides) is `EmailTaken`.
    fn insert_user(&self, new_user: &NewUser) -> Result<User, InsertUserError>;

    fn find_credentials_by_email(&self, email: &Email) -> Result<Option<UserCredentials>, StoreError>;

    /// The user and whether `jti` is revoked, read together in one round trip.
    fn find_user_with_revocation(&self, id: UserId, jti: &TokenId) -> Result<Option<(User, bool)>, StoreError>;

    /// Sets the admin flag; `None` when no user has this email.
    fn set_admin(&self, email: &Email, admin: bool) -> Result<Option<User>, StoreError>;

    /// Deletes the user and (by cascade) their revocations; false when no user has this email.
    fn delete_user(&self, email: &Email) -> Result<bool, StoreError>;
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

/// An error with its causes, `outer: inner: innermost`, for one log field.
pub struct ErrorChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

/// Whether storage can serve requests: reachable, writable, with its schema up to date.
pub trait Readiness: Send + Sync {
    fn check_ready(&self) -> Result<(), NotReady>;
}

pub trait RevocationStore: Send + Sync {
    /// Records the revocation with one INSERT, so that of several concurrent calls for one `jti`
    /// exactly one returns `Revoked`.
    fn revoke(&self, revocation: &NewRevocation) -> Result<RevokeOutcome, StoreError>;

    /// Deletes revocations whose token expired before `now`; returns how many.
    fn prune_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;
}
