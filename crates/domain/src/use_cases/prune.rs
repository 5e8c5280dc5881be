use crate::service::AuthService;
use crate::store::StoreError;
use chrono::{DateTime, Utc};

impl AuthService {
    /// Deletes revocations of tokens that have expired (they would be refused as expired anyway),
    /// so the table holds at most the unexpired revoked tokens. Rows inside the leeway are kept: their
    /// tokens are still accepted.
    pub fn prune_revocations(&self) -> Result<u64, StoreError> {
        // The leeway is bounded (`TokenCodec::MAX_LEEWAY_SECS`); were it not, nothing would be old enough.
        let before = self.clock.now().checked_sub_signed(self.tokens.leeway()).unwrap_or(DateTime::<Utc>::MIN_UTC);
        let pruned = self.revocations.prune_expired(before)?;
        tracing::info!(pruned, "expired revocations pruned");
        Ok(pruned)
    }
}
