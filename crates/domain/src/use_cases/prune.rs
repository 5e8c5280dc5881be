use crate::service::AuthService;
use crate::store::StoreError;

impl AuthService {
    /// Deletes revocations of tokens that have expired (they would be refused as expired anyway),
    /// so the table holds at most the unexpired revoked tokens. Rows inside the leeway are kept: their
    /// tokens are still accepted.
    pub fn prune_revocations(&self) -> Result<u64, StoreError> {
        let pruned = self.revocations.prune_expired(self.clock.now() - self.tokens.leeway())?;
        tracing::info!(pruned, "expired revocations pruned");
        Ok(pruned)
    }
}
