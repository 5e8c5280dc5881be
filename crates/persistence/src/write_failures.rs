use auth_domain::NotReady;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The last write the database refused (a failed statement, not a constraint), remembered for a while.
/// Readiness's own write probe is not enough on a full disk: a write fits into the space an earlier
/// failed write had claimed, so the probe can succeed while registrations fail. A write failure
/// therefore keeps readiness at 503 until a write is stored, or for `MEMORY` (so that it recovers by
/// itself when no traffic comes, as behind a load balancer that stopped sending any).
#[derive(Debug, Clone, Default)]
pub(crate) struct RecentWriteFailure(Arc<Mutex<Option<(Instant, String)>>>);

impl RecentWriteFailure {
    pub(crate) const MEMORY: Duration = Duration::from_secs(10);

    pub(crate) fn record(&self, cause: &str) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some((Instant::now(), cause.to_owned()));
    }

    pub(crate) fn clear(&self) {
        let mut last = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if last.is_some() {
            *last = None;
        }
    }

    pub(crate) fn check(&self) -> Result<(), NotReady> {
        match &*self.0.lock().unwrap_or_else(PoisonError::into_inner) {
            Some((at, cause)) if at.elapsed() < Self::MEMORY => {
                let ago = at.elapsed().as_millis();
                Err(NotReady::NotWritable(auth_domain::cause(format!("a write failed {ago} ms ago: {cause}"))))
            }
            _ => Ok(()),
        }
    }
}
