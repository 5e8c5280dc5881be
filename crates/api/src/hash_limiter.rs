use crate::blocking::run_blocking;
use crate::client::ClientConnection;
use crate::error::ApiError;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Bounds how many password hashes (register, login) run at once. Requests over the bound wait here,
/// on the async side, so they hold no blocking thread while they wait and cannot starve the requests
/// that do not hash (status, logout).
#[derive(Debug, Clone)]
pub struct HashLimiter {
    permits: Arc<Semaphore>,
    max: usize,
}

impl HashLimiter {
    /// 0 means one per core; more than this many bcrypt runs at once only share the same cores.
    pub const MAX_CONCURRENT: std::ops::RangeInclusive<usize> = 0..=1024;

    /// `max` of 0 means one per available core.
    pub fn new(max: usize) -> Self {
        let max = if max == 0 { std::thread::available_parallelism().map_or(1, usize::from) } else { max };
        Self { permits: Arc::new(Semaphore::new(max)), max }
    }

    pub fn max(&self) -> usize {
        self.max
    }

    /// Waits for a permit, then runs the use case on the blocking pool, unless the client has gone:
    /// it is asked before waiting and again once the permit is had. (A request waiting here is also
    /// dropped as soon as the server sees its client close.) The permit goes with the use case to
    /// the blocking thread, so it is held until the hash is done even if the request is dropped.
    pub async fn run<T, E>(
        &self,
        client: ClientConnection,
        use_case: impl FnOnce() -> Result<T, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        if client.is_gone() {
            return Err(ApiError::ClientGone);
        }
        let queued = std::time::Instant::now();
        let permit = self.permits.clone().acquire_owned().await.map_err(|_| ApiError::Internal)?;
        metrics::histogram!("auth_hash_queue_wait_seconds").record(queued.elapsed().as_secs_f64());
        if client.is_gone() {
            return Err(ApiError::ClientGone);
        }
        run_blocking(move || {
            let _permit = permit;
            metrics::counter!("auth_password_hash_runs_total").increment(1);
            use_case()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[actix_web::test]
    async fn never_runs_more_than_max_at_once() {
        let limiter = HashLimiter::new(2);
        let in_flight = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let runs = (0..8).map(|_| {
            let (in_flight, peak) = (in_flight.clone(), peak.clone());
            limiter.run(ClientConnection::default(), move || {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                // hold the permit long enough for the others to pile up behind it
                std::thread::sleep(Duration::from_millis(20));
                in_flight.fetch_sub(1, Ordering::SeqCst);
                Ok::<_, ApiError>(())
            })
        });
        let results = futures_util::future::join_all(runs).await;
        assert!(results.iter().all(Result::is_ok));
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn zero_means_one_per_core() {
        assert_eq!(HashLimiter::new(0).max(), std::thread::available_parallelism().map_or(1, usize::from));
        assert_eq!(HashLimiter::new(3).max(), 3);
    }
}
