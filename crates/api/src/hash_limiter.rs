use crate::blocking::run_blocking;
use crate::client::ClientConnection;
use crate::error::ApiError;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Semaphore;

/// Bounds how many password hashes (register, login, password change) run at once, and how many wait.
/// Requests over the first bound wait here, on the async side, so they hold no blocking thread while
/// they wait and cannot starve the requests that do not hash (status, logout); past the second they are
/// answered 503 at once, so a flood costs neither memory nor ever-growing waits.
#[derive(Debug, Clone)]
pub struct HashLimiter {
    permits: Arc<Semaphore>,
    max: usize,
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
    /// Slots handed out since start.
    granted: Arc<std::sync::atomic::AtomicU64>,
}

/// A place in the queue, given back when the request stops waiting (or is dropped while it waits).
struct WaitingPlace(Arc<AtomicUsize>);

impl WaitingPlace {
    fn take(waiting: &Arc<AtomicUsize>, max: usize) -> Option<Self> {
        waiting.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < max).then_some(n + 1)).ok()?;
        Some(Self(waiting.clone()))
    }
}

impl Drop for WaitingPlace {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A hash slot, held until the work it was taken for is done (even if the request is dropped meanwhile:
/// it travels with the work to the blocking thread).
#[derive(Debug)]
pub struct HashPermit {
    _held: tokio::sync::OwnedSemaphorePermit,
}

impl HashPermit {
    /// Runs the use case that hashes on the blocking pool, holding the slot until it returns.
    pub async fn run<T, E>(self, use_case: impl FnOnce() -> Result<T, E> + Send + 'static) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        run_blocking(move || {
            let _slot = self;
            metrics::counter!("auth_password_hash_runs_total").increment(1);
            use_case()
        })
        .await
    }
}

impl HashLimiter {
    /// 0: nothing waits; a request finding every slot taken is answered 503.
    pub const MAX_WAITING: std::ops::RangeInclusive<usize> = 0..=100_000;

    /// `max` hashes at once (`auth_bcrypt::HashCapacity::permits`); `max_waiting` requests may wait
    /// for a slot.
    pub fn new(max: usize, max_waiting: usize) -> Self {
        let max = max.max(1);
        Self {
            permits: Arc::new(Semaphore::new(max)),
            max,
            waiting: Arc::default(),
            max_waiting,
            granted: Arc::default(),
        }
    }

    pub fn max(&self) -> usize {
        self.max
    }

    /// How many slots have been handed out since start: a request refused before it hashes (throttled,
    /// invalid) takes none.
    pub fn granted(&self) -> u64 {
        self.granted.load(Ordering::Relaxed)
    }

    /// Waits for a slot, unless the client has gone: it is asked before waiting and again once the slot
    /// is had. (A request waiting here is also dropped as soon as the server sees its client close.)
    /// Past `max_waiting` waiting, `Unavailable` at once. Only what will hash takes a slot: a request
    /// refused before (a throttled login) never waits here.
    pub async fn acquire(&self, client: &ClientConnection) -> Result<HashPermit, ApiError> {
        if client.is_gone() {
            return Err(ApiError::ClientGone);
        }
        let queued = std::time::Instant::now();
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                let Some(place) = WaitingPlace::take(&self.waiting, self.max_waiting) else {
                    metrics::counter!("auth_hashes_rejected_total").increment(1);
                    return Err(ApiError::Unavailable);
                };
                let permit = self.permits.clone().acquire_owned().await.map_err(|_| ApiError::Internal)?;
                drop(place);
                permit
            }
        };
        metrics::histogram!("auth_hash_queue_wait_seconds").record(queued.elapsed().as_secs_f64());
        if client.is_gone() {
            return Err(ApiError::ClientGone);
        }
        self.granted.fetch_add(1, Ordering::Relaxed);
        Ok(HashPermit { _held: permit })
    }

    /// `acquire`, then the use case on the blocking pool with the slot held.
    pub async fn run<T, E>(
        &self,
        client: ClientConnection,
        use_case: impl FnOnce() -> Result<T, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        self.acquire(&client).await?.run(use_case).await
    }
}

/// What a use case's first step hands to its second, and what it gives back when the second never runs.
pub trait Begun: Send + 'static {
    /// The attempt counted in the first step, to give back (`AuthService::abandon`): it was never tried.
    fn give_back(self) -> Option<auth_domain::Attempt>;
}

macro_rules! counted {
    ($($ty:ident),+) => {
        $(impl Begun for auth_domain::$ty {
            fn give_back(self) -> Option<auth_domain::Attempt> {
                Some(self.into_attempt())
            }
        })+
    };
}

counted!(LoginAttempt, RegisterAttempt, PasswordChange, EmailChange, AccountDeletion);

/// A reset counts nothing: its link is the credential.
impl Begun for auth_domain::PasswordReset {
    fn give_back(self) -> Option<auth_domain::Attempt> {
        None
    }
}

/// A use case that hashes, in two steps on the blocking pool: `begin` checks and counts it (refused when
/// throttled) before it takes a hash slot, so a refused request never waits behind the hashes of
/// others and parallel guesses cannot all pass a limit before any is counted; `finish` runs holding the
/// slot. What gets no slot (the queue is full, the client gone) is given back: it was never tried.
pub async fn begin_then_hash<B, T, E1, E2>(
    service: Arc<auth_domain::AuthService>,
    hashes: &HashLimiter,
    connection: &ClientConnection,
    begin: impl FnOnce(&auth_domain::AuthService) -> Result<B, E1> + Send + 'static,
    finish: impl FnOnce(&auth_domain::AuthService, B) -> Result<T, E2> + Send + 'static,
) -> Result<T, ApiError>
where
    B: Begun,
    T: Send + 'static,
    E1: Into<ApiError> + Send + 'static,
    E2: Into<ApiError> + Send + 'static,
{
    let first = service.clone();
    let begun = run_blocking(move || begin(&first)).await?;
    match hashes.acquire(connection).await {
        Ok(slot) => slot.run(move || finish(&service, begun)).await,
        Err(e) => {
            if let Some(attempt) = begun.give_back() {
                let _ = run_blocking(move || service.abandon(attempt)).await;
            }
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[actix_web::test]
    async fn never_runs_more_than_max_at_once() {
        let limiter = HashLimiter::new(2, 100);
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

    #[actix_web::test]
    async fn past_the_waiting_bound_requests_are_refused_at_once_and_places_come_back() {
        let limiter = HashLimiter::new(1, 2);
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let (started, running) = std::sync::mpsc::channel::<()>();
        // one hash holds the only slot until told to finish
        let busy = actix_web::rt::spawn({
            let limiter = limiter.clone();
            async move {
                limiter
                    .run(ClientConnection::default(), move || {
                        started.send(()).unwrap();
                        hold.recv().unwrap();
                        Ok::<_, ApiError>(0)
                    })
                    .await
            }
        });
        actix_web::rt::task::spawn_blocking(move || running.recv().unwrap()).await.unwrap();
        // two wait; the third is refused without waiting
        let waiters: Vec<_> = (1..=2)
            .map(|n| {
                let limiter = limiter.clone();
                actix_web::rt::spawn(async move {
                    limiter.run(ClientConnection::default(), move || Ok::<_, ApiError>(n)).await
                })
            })
            .collect();
        while limiter.waiting.load(Ordering::SeqCst) < 2 {
            actix_web::rt::task::yield_now().await;
        }
        let refused = limiter.run(ClientConnection::default(), || Ok::<_, ApiError>(9)).await;
        assert_eq!(refused, Err(ApiError::Unavailable));
        release.send(()).unwrap();
        assert_eq!(busy.await.unwrap(), Ok(0));
        let mut done = Vec::new();
        for waiter in waiters {
            done.push(waiter.await.unwrap().unwrap());
        }
        done.sort_unstable();
        assert_eq!(done, [1, 2]);
        assert_eq!(limiter.waiting.load(Ordering::SeqCst), 0, "every place came back");
        assert_eq!(limiter.run(ClientConnection::default(), || Ok::<_, ApiError>(3)).await, Ok(3));
    }

    #[actix_web::test]
    async fn a_slot_is_held_until_its_permit_is_dropped() {
        let limiter = HashLimiter::new(1, 10);
        let held = limiter.acquire(&ClientConnection::default()).await.unwrap();
        assert_eq!(limiter.permits.available_permits(), 0);
        drop(held);
        assert_eq!(limiter.permits.available_permits(), 1);
    }
}
