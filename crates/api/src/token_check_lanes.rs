use crate::error::ApiError;
use auth_domain::{AuthService, StatusError, StoreError, User};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{mpsc, oneshot};

/// The token checks of `GET /auth/status`, on a few long-lived threads fed by channels instead of a
/// blocking task per request. A lane takes every check waiting for it and answers them with one
/// `status_many`: one connection checkout and, on PostgreSQL, one statement for the lot. Under load the
/// batches grow by themselves (what arrives while a batch runs is the next batch); a lone request is a
/// batch of one and waits for nothing. Nothing is cached: every answer comes from the database.
/// (Measured in docs/BENCHMARKS.md: the hand-off to the blocking pool was ~40 % of status's CPU.)
///
/// Where a check is a local read that never waits (SQLite: each thread reads the WAL file through its
/// own connection, see the persistence crate's `sqlite_readers.rs`), it runs right on the async worker:
/// there is then no hand-off at all.
pub struct TokenCheckLanes {
    route: Route,
}

enum Route {
    Here(Arc<AuthService>),
    Lanes { lanes: Vec<mpsc::Sender<Check>>, next: AtomicUsize },
}

struct Check {
    token: String,
    /// The request's span, linked from the batch's.
    span: tracing::Span,
    reply: oneshot::Sender<Result<User, StatusError>>,
}

impl TokenCheckLanes {
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
        Ok(Self { route: Route::Lanes { lanes, next: AtomicUsize::new(0) } })
    }

    /// Checks run on the calling worker: only for a store whose token checks are local reads.
    pub fn here(service: Arc<AuthService>) -> Self {
        Self { route: Route::Here(service) }
    }

    /// What `AuthService::status` answers for `token`.
    pub async fn status(&self, token: String) -> Result<User, ApiError> {
        let (lanes, next) = match &self.route {
            Route::Here(service) => return service.status(&token).map_err(Into::into),
            Route::Lanes { lanes, next } => (lanes, next),
        };
        let lane = &lanes[next.fetch_add(1, Ordering::Relaxed) % lanes.len()];
        let (reply, answer) = oneshot::channel();
        let check = Check { token, span: tracing::Span::current(), reply };
        if lane.send(check).await.is_err() {
            tracing::error!("token-check lane has stopped");
            return Err(ApiError::Internal);
        }
        match answer.await {
            Ok(result) => result.map_err(Into::into),
            Err(_) => Err(ApiError::Internal),
        }
    }
}

fn run_lane(service: &AuthService, mut checks: mpsc::Receiver<Check>) {
    let mut batch = Vec::with_capacity(TokenCheckLanes::MAX_BATCH);
    while let Some(first) = checks.blocking_recv() {
        batch.push(first);
        while batch.len() < TokenCheckLanes::MAX_BATCH {
            let Ok(check) = checks.try_recv() else { break };
            batch.push(check);
        }
        let span = tracing::debug_span!("token_check_batch", checks = batch.len());
        for check in &batch {
            span.follows_from(&check.span);
        }
        let tokens: Vec<&str> = batch.iter().map(|c| c.token.as_str()).collect();
        let answers = span.in_scope(|| std::panic::catch_unwind(AssertUnwindSafe(|| service.status_many(&tokens))));
        drop(tokens);
        let Ok(answers) = answers else {
            // the replies are dropped: those requests are answered 500, the lane goes on
            tracing::error!(checks = batch.len(), "token check panicked");
            batch.clear();
            continue;
        };
        let outage = answers.iter().find_map(|a| match a {
            Err(StatusError::Store(e @ StoreError::Unavailable(_))) => Some(e.clone()),
            _ => None,
        });
        for (check, answer) in batch.drain(..).zip(answers) {
            let _ = check.reply.send(answer);
        }
        // No connection could be had within the acquire timeout: what queued meanwhile is answered 503
        // now, so no request waits more than one timeout for a database that is down.
        if let Some(outage) = outage {
            while let Ok(check) = checks.try_recv() {
                let _ = check.reply.send(Err(StatusError::Store(outage.clone())));
            }
        }
    }
}
