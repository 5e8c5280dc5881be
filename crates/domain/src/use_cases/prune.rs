use crate::service::AuthService;
use crate::store::StoreError;
use crate::throttle::ThrottlePolicy;
use chrono::{DateTime, TimeDelta, Utc};

/// What one pruning deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub revocations: u64,
    pub sessions: u64,
    pub counters: u64,
    pub events: u64,
    /// Sent, dead and never-sent outbox rows past `email.retention_days`.
    pub mails: u64,
    /// Links by email that have expired.
    pub links: u64,
    /// Revocation-feed entries whose tokens have all expired.
    pub feed: u64,
}

impl AuthService {
    /// Deletes what can no longer matter: revocations of tokens that have expired (they would be
    /// refused as expired anyway), and sessions that ended, went idle or ran out longer ago than an
    /// access token lives (every token of theirs has expired), and attempt counters whose window ended and
    /// that block nobody, and security events older than `audit.retention_days`, outbox rows done with for
    /// longer than `email.retention_days`, and links that have expired. Rows inside the leeway
    /// are kept.
    pub fn prune(&self) -> Result<Pruned, StoreError> {
        let now = self.clock.now();
        // Bounded settings (`TokenCodec`, `SessionPolicy`) keep these in range; were they not, nothing
        // would be old enough.
        let ago = |span: TimeDelta| now.checked_sub_signed(span).unwrap_or(DateTime::<Utc>::MIN_UTC);
        let token_life = self.tokens.leeway() + TimeDelta::seconds(i64::try_from(self.tokens.ttl_secs()).unwrap_or(0));
        let revocations = self.revocations.prune_expired(ago(self.tokens.leeway()))?;
        let policy = &self.session_policy;
        let sessions = self.sessions.prune_sessions(
            ago(token_life),
            ago(policy.refresh_ttl + token_life),
            ago(policy.max_lifetime + token_life),
        )?;
        let longest_window = self.throttle_policy.window.max(ThrottlePolicy::REGISTER_WINDOW);
        let counters = self.throttles.prune_counters(ago(longest_window), now)?;
        let events = self.events.prune_events(ago(self.audit_retention))?;
        let mails = self.outbox.prune_mail(ago(self.mail.policy.retention))?;
        let links = self.accounts.prune_links(now)?;
        let feed = self.feed.prune_feed(ago(self.feed_token_life()), now)?;
        tracing::info!(
            revocations,
            sessions,
            counters,
            events,
            mails,
            links,
            feed,
            "expired revocations, sessions, counters, events, emails, links and feed entries pruned"
        );
        Ok(Pruned { revocations, sessions, counters, events, mails, links, feed })
    }
}
