use crate::error::ApiError;
use auth_domain::{AuthError, AuthService, Principal, StoreError};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{mpsc, oneshot};

/// Where every authenticated request's token is checked: `AuthService::authenticate_many`, the one
/// path for the signature, the claims, the revocation, the session and the user, on either backend.
///
/// Where the database's part is a round trip (PostgreSQL), the checks go to a long-lived thread fed by a
/// channel instead of a blocking task per request. The lane takes every check waiting for it and answers
/// them with one `authenticate_many`: one connection checkout and one statement for the lot. Under load
/// the batches grow by themselves (what arrives while a batch runs is the next batch); a lone request is
/// a batch of one and waits for nothing. (Measured in docs/BENCHMARKS.md: the hand-off to the blocking
/// pool was ~40 % of status's CPU.)
///
/// Where it is a local read that never waits (SQLite: each thread reads the WAL file through its own
/// connection, see the persistence crate's `sqlite_readers.rs`), it runs right on the async worker: there
/// is then no hand-off at all.
pub struct Authenticator {
    route: Route,
}

enum Route {
    Here(Arc<AuthService>),
    Lanes { service: Arc<AuthService>, lanes: Vec<mpsc::Sender<Check>>, next: AtomicUsize },
}

struct Check {
    token: String,
    /// The request's span, linked from the batch's.
    span: tracing::Span,
    reply: oneshot::Sender<Result<Principal, AuthError>>,
}

impl Authenticator {
    /// The most checks one statement carries.
    pub const MAX_BATCH: usize = 128;
    /// Checks waiting per lane; past it requests wait (asynchronously) for room.
    const QUEUE: usize = 1024;

    /// Starts `lanes` threads (at least one). They end when this is dropped.
    pub fn start(service: Arc<AuthService>, lanes: usize) -> std::io::Result<Self> {
        let lanes = (0..lanes.max(1))
            .map(|i| {
                let (sender, receiver) = mpsc::channel(Self::QUEUE);
                let service = service.clone();
                std::thread::Builder::new()
                    .name(format!("token-check-{i}"))
                    .spawn(move || run_lane(&service, receiver))
                    .map(|_| sender)
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(Self { route: Route::Lanes { service, lanes, next: AtomicUsize::new(0) } })
    }

    /// Checks run on the calling worker: only for a store whose token checks are local reads.
    pub fn here(service: Arc<AuthService>) -> Self {
        Self { route: Route::Here(service) }
    }

    /// The longest a request waits for the signing keys' read its token asked for (a key another
    /// instance added since this one last read).
    const KEY_READ_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

    /// The caller `token` stands for (`AuthService::authenticate`). A token of a key this instance has
    /// not read yet waits (without a thread) for the read it asked for, then is checked once more: a key
    /// another instance added (a revocation's replacement signs at once) is accepted from its first token.
    pub async fn authenticate(&self, token: String) -> Result<Principal, ApiError> {
        // the token is checked from a borrow first: the copy the lanes need is made only for them
        let first = match &self.route {
            Route::Here(service) => service.authenticate_once(&token),
            Route::Lanes { .. } => self.authenticate_once(token.clone()).await,
        };
        match first {
            Err(AuthError::UnreadKey) => {
                let started = std::time::Instant::now();
                while self.service().key_read_pending() && started.elapsed() < Self::KEY_READ_WAIT {
                    actix_web::rt::time::sleep(std::time::Duration::from_millis(2)).await;
                }
                self.authenticate_once(token).await.map_err(Into::into)
            }
            other => other.map_err(Into::into),
        }
    }

    fn service(&self) -> &AuthService {
        match &self.route {
            Route::Here(service) | Route::Lanes { service, .. } => service,
        }
    }

    async fn authenticate_once(&self, token: String) -> Result<Principal, AuthError> {
        let (lanes, next) = match &self.route {
            Route::Here(service) => return service.authenticate_once(&token),
            Route::Lanes { lanes, next, .. } => (lanes, next),
        };
        let lane = &lanes[next.fetch_add(1, Ordering::Relaxed) % lanes.len()];
        let (reply, answer) = oneshot::channel();
        let check = Check { token, span: tracing::Span::current(), reply };
        let stopped = || AuthError::Store(auth_domain::StoreError::Corrupt("the token-check lane has stopped".into()));
        if lane.send(check).await.is_err() {
            tracing::error!("token-check lane has stopped");
            return Err(stopped());
        }
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }
}

fn run_lane(service: &AuthService, mut checks: mpsc::Receiver<Check>) {
    let mut batch = Vec::with_capacity(Authenticator::MAX_BATCH);
    while let Some(first) = checks.blocking_recv() {
        batch.push(first);
        while batch.len() < Authenticator::MAX_BATCH {
            let Ok(check) = checks.try_recv() else { break };
            batch.push(check);
        }
        let span = tracing::debug_span!("token_check_batch", checks = batch.len());
        for check in &batch {
            span.follows_from(&check.span);
        }
        let tokens: Vec<&str> = batch.iter().map(|c| c.token.as_str()).collect();
        let answers =
            span.in_scope(|| std::panic::catch_unwind(AssertUnwindSafe(|| service.authenticate_many(&tokens))));
        drop(tokens);
        let Ok(answers) = answers else {
            // the replies are dropped: those requests are answered 500, the lane goes on
            tracing::error!(checks = batch.len(), "token check panicked");
            batch.clear();
            continue;
        };
        let outage = answers.iter().find_map(|a| match a {
            Err(AuthError::Store(e @ StoreError::Unavailable(_))) => Some(e.clone()),
            _ => None,
        });
        for (check, answer) in batch.drain(..).zip(answers) {
            let _ = check.reply.send(answer);
        }
        // No connection could be had within the acquire timeout: what queued meanwhile is answered 503
        // now, so no request waits more than one timeout for a database that is down.
        if let Some(outage) = outage {
            while let Ok(check) = checks.try_recv() {
                let _ = check.reply.send(Err(AuthError::Store(outage.clone())));
            }
        }
    }
}
