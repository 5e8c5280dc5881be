//! The revocation feed: every ended session and revoked token, as random ids with the time after which
//! they no longer matter, for services that verify tokens locally (`GET /auth/revocations`, the stream,
//! and `auth-verify`'s subscription). The database writes the rows (triggers); this says what they mean.

use chrono::{DateTime, TimeDelta, Utc};

/// A feed row as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRow {
    pub id: i64,
    pub sid: Option<String>,
    pub jti: Option<String>,
    /// A session's: when its last token was issued.
    pub last_issued_at: Option<DateTime<Utc>>,
    /// A token's: when it expires.
    pub expires_at: Option<DateTime<Utc>>,
}

/// What one entry revokes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Revoked {
    /// Every token of the session (`sid` claim).
    Session(String),
    /// One token (`jti` claim).
    Token(String),
}

/// One entry of the feed: its cursor, what it revokes, and when the last token it concerns expires
/// (after that it is dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    pub id: i64,
    pub revoked: Revoked,
    pub until: DateTime<Utc>,
}

impl FeedEntry {
    /// The entry a row stands for, given how long a token lives after it is issued (access lifetime,
    /// leeway, and the refresh grace in which a consumed refresh token still gets a token); `None` for a
    /// row that names nothing (not written by the service).
    pub fn of(row: FeedRow, token_life: TimeDelta) -> Option<Self> {
        let (revoked, until) = match row {
            FeedRow { sid: Some(sid), last_issued_at: Some(at), .. } => (Revoked::Session(sid), at + token_life),
            FeedRow { jti: Some(jti), expires_at: Some(at), .. } => (Revoked::Token(jti), at),
            _ => return None,
        };
        Some(Self { id: row.id, revoked, until })
    }
}

/// The feed as stored.
pub trait FeedStore: Send + Sync {
    /// Up to `limit` rows with an id above `after` (and at most `through`), in id order.
    fn feed_after(&self, after: i64, through: i64, limit: u32) -> Result<Vec<FeedRow>, crate::store::StoreError>;

    /// The lowest id still stored (`None`: none is).
    fn feed_first_id(&self) -> Result<Option<i64>, crate::store::StoreError>;

    /// The highest id stored (`None`: none is).
    fn feed_last_id(&self) -> Result<Option<i64>, crate::store::StoreError>;

    /// Deletes rows that no longer matter: sessions whose last token was issued before
    /// `sessions_issued_before`, tokens expired before `tokens_expired_before`; how many.
    fn prune_feed(
        &self,
        sessions_issued_before: DateTime<Utc>,
        tokens_expired_before: DateTime<Utc>,
    ) -> Result<u64, crate::store::StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_sessions_entry_lasts_a_token_life_past_its_last_token_and_a_tokens_until_it_expires() {
        let t = Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0).unwrap();
        let life = TimeDelta::seconds(3670);
        let row = |sid: Option<&str>, jti: Option<&str>, issued, expires| FeedRow {
            id: 7,
            sid: sid.map(str::to_owned),
            jti: jti.map(str::to_owned),
            last_issued_at: issued,
            expires_at: expires,
        };
        assert_eq!(
            FeedEntry::of(row(Some("s"), None, Some(t), None), life),
            Some(FeedEntry { id: 7, revoked: Revoked::Session("s".into()), until: t + life })
        );
        assert_eq!(
            FeedEntry::of(row(None, Some("j"), None, Some(t)), life),
            Some(FeedEntry { id: 7, revoked: Revoked::Token("j".into()), until: t })
        );
        assert_eq!(FeedEntry::of(row(None, None, Some(t), Some(t)), life), None);
    }
}
