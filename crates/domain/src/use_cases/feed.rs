//! Reading the revocation feed (its rows are written by the database as sessions end and tokens are
//! revoked).

use crate::feed::FeedEntry;
use crate::service::AuthService;
use crate::store::StoreError;
use chrono::TimeDelta;

/// One page of the feed: the live entries, and the id of the last row read (expired rows are read and
/// skipped, so the cursor moves past them too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPage {
    pub entries: Vec<FeedEntry>,
    pub last: Option<i64>,
}

impl AuthService {
    /// How long after its last token was issued a session's tokens may still be presented: the access
    /// lifetime, the leeway, and the refresh grace (a consumed refresh token presented again within it
    /// gets a token without the session moving on).
    pub fn feed_token_life(&self) -> TimeDelta {
        let ttl = TimeDelta::seconds(i64::try_from(self.tokens.ttl_secs()).unwrap_or(i64::MAX / 2_000));
        ttl + self.tokens.leeway() + self.session_policy.reuse_grace
    }

    /// Up to `limit` entries after cursor `after`, at most `through` (what every instance has published:
    /// rows committed out of order are not handed out past a gap), still live now.
    pub fn revocations_after(&self, after: i64, through: i64, limit: u32) -> Result<FeedPage, StoreError> {
        let rows = self.feed.feed_after(after, through, limit)?;
        let last = rows.last().map(|r| r.id);
        let now = self.clock.now();
        let life = self.feed_token_life();
        let entries = rows.into_iter().filter_map(|row| FeedEntry::of(row, life)).filter(|e| e.until > now).collect();
        Ok(FeedPage { entries, last })
    }

    /// Rows after `after` as the feed's poller reads them: each id, with its entry when still live (the
    /// poller needs every id, to tell a gap from an expired row).
    pub fn feed_rows_after(&self, after: i64, limit: u32) -> Result<Vec<(i64, Option<FeedEntry>)>, StoreError> {
        let now = self.clock.now();
        let life = self.feed_token_life();
        Ok(self
            .feed
            .feed_after(after, i64::MAX, limit)?
            .into_iter()
            .map(|row| (row.id, FeedEntry::of(row, life).filter(|e| e.until > now)))
            .collect())
    }

    /// The highest cursor stored (0 when none is): where an instance's feed starts.
    pub fn feed_last_id(&self) -> Result<i64, StoreError> {
        Ok(self.feed.feed_last_id()?.unwrap_or(0))
    }

    /// The lowest cursor still stored: a subscriber behind it missed rows (expired, pruned).
    pub fn feed_first_id(&self) -> Result<Option<i64>, StoreError> {
        self.feed.feed_first_id()
    }
}
