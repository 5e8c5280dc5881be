use crate::email::Email;
use crate::password_hasher::PasswordHash;
use chrono::{DateTime, Utc};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub admin: bool,
    pub registered_on: DateTime<Utc>,
    /// When the user proved they read their address (a verification link, a reset, an email change).
    pub email_verified_at: Option<DateTime<Utc>>,
}

/// A user with the hash to check a login against.
#[derive(Debug, Clone)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: PasswordHash,
}
