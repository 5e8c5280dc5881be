use auth_api::MetricsSource;
use auth_domain::AuthService;
use auth_persistence::DbPool;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::{Arc, OnceLock};

/// The process-wide Prometheus recorder (the `metrics` facade has one global recorder), with every
/// metric of the service described (`# HELP` lines).
pub fn install_recorder() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let seconds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
            // Histograms kept as buckets, never as summaries: a summary's quantiles are kept per series.
            let handle = PrometheusBuilder::new()
                .set_buckets(&seconds)
                .and_then(PrometheusBuilder::install_recorder)
                .unwrap_or_else(|e| {
                    // Another recorder is installed (embedding): render an empty page rather than fail.
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    PrometheusBuilder::new().build_recorder().handle()
                });
            describe();
            handle
        })
        .clone()
}

/// How often the recorder is upkept. Each histogram sample goes to a buffer that only a scrape or the
/// upkeep drains into the buckets: with nobody scraping, the buffers grew by 16–20 bytes per request.
/// Drained every second, they hold at most a second of samples.
pub const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Drains the recorder's buffers every `UPKEEP_EVERY`, whether anyone scrapes or not.
pub fn spawn_metrics_upkeep() -> actix_web::rt::task::JoinHandle<()> {
    let handle = install_recorder();
    actix_web::rt::spawn(async move {
        let mut ticks = actix_web::rt::time::interval(UPKEEP_EVERY);
        loop {
            ticks.tick().await;
            handle.run_upkeep();
        }
    })
}

/// The `# HELP` line of every metric the service records.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!("http_requests_total", "HTTP requests answered, by method, route and status");
    describe_histogram!("http_request_duration_seconds", "Time to answer an HTTP request, by method, route and status");
    describe_counter!("auth_registrations_total", "Registrations, by outcome");
    describe_counter!("auth_logins_total", "Logins, by outcome");
    describe_counter!("auth_logouts_total", "Logouts, by outcome");
    describe_counter!("auth_refreshes_total", "Refresh-token exchanges, by outcome");
    describe_counter!("auth_password_changes_total", "Password changes, by outcome");
    describe_counter!("auth_token_checks_total", "Bearer tokens checked for an authenticated request, by outcome");
    describe_counter!("auth_sessions_started_total", "Sessions started (logins and registrations)");
    describe_counter!("auth_email_verifications_total", "Verification links used, by outcome");
    describe_counter!("auth_verification_resends_total", "Verification emails asked for again, by outcome");
    describe_counter!("auth_password_reset_requests_total", "Reset links asked for, by outcome");
    describe_counter!("auth_password_resets_total", "Passwords set through a reset link, by outcome");
    describe_counter!("auth_email_change_requests_total", "Changes of address asked for, by outcome");
    describe_counter!("auth_email_changes_total", "Changes of address confirmed, by outcome");
    describe_counter!("auth_account_deletions_total", "Accounts deleted by their users, by outcome");
    describe_counter!("auth_outbox_sent_total", "Emails handed to the mail server (or the log)");
    describe_counter!(
        "auth_outbox_failed_total",
        "Attempts to send an email that failed (each is retried or given up)"
    );
    describe_counter!(
        "auth_outbox_dead_total",
        "Emails given up (email.max_attempt_hours passed, or refused for good)"
    );
    describe_gauge!("auth_outbox_queued", "Emails waiting in the outbox to be sent");
    describe_gauge!("auth_outbox_dead", "Emails given up and kept in the outbox (auth-server outbox retry)");
    describe_counter!("auth_sessions_ended_total", "Sessions ended, by reason");
    describe_counter!(
        "auth_refresh_reuse_detected_total",
        "Consumed refresh tokens presented again (their session ended)"
    );
    describe_counter!("auth_password_hash_runs_total", "Requests that ran bcrypt (a hash slot each)");
    describe_counter!(
        "auth_hashes_rejected_total",
        "Requests refused with 503 because every hash slot and waiting place was taken"
    );
    describe_histogram!("auth_hash_queue_wait_seconds", "Time a request waited for a hash slot");
    describe_counter!("auth_password_rehashes_total", "Stored hashes replaced at the configured bcrypt cost at login");
    describe_counter!(
        "auth_bcrypt_batches_total",
        "bcrypt batches computed side by side on one core, by how many hashes they held"
    );
    describe_counter!("auth_revocations_pruned_total", "Revocations of expired tokens deleted");
    describe_counter!("auth_sessions_pruned_total", "Sessions deleted once every token of theirs had expired");
    describe_counter!("auth_attempt_counters_pruned_total", "Attempt counters deleted after their window");
    describe_counter!("auth_events_pruned_total", "Security events deleted past audit.retention_days");
    describe_gauge!("db_pool_connections", "Database connections open");
    describe_gauge!("db_pool_idle_connections", "Database connections open and idle");
    describe_gauge!("db_pool_in_use_connections", "Database connections in use");
    describe_histogram!("db_pool_checkout_wait_seconds", "Time a request waited for a database connection");
    describe_counter!(
        "db_pool_checkout_timeouts_total",
        "Requests that got no database connection within database.acquire_timeout_ms"
    );
}

/// The recorder's text plus the pool's state at the moment of the scrape.
pub struct MetricsEndpoint {
    handle: PrometheusHandle,
    pool: DbPool,
    service: Arc<AuthService>,
}

impl MetricsEndpoint {
    pub fn new(pool: DbPool, service: Arc<AuthService>) -> Self {
        Self { handle: install_recorder(), pool, service }
    }
}

impl MetricsSource for MetricsEndpoint {
    fn render(&self) -> String {
        let state = self.pool.state();
        metrics::gauge!("db_pool_connections").set(f64::from(state.connections));
        metrics::gauge!("db_pool_idle_connections").set(f64::from(state.idle_connections));
        metrics::gauge!("db_pool_in_use_connections").set(f64::from(state.connections - state.idle_connections));
        // Counted by the domain (which has no metrics of its own), read at scrape time.
        metrics::counter!("auth_password_rehashes_total").absolute(self.service.rehashes());
        for (count, hashes) in self.service.bcrypt_batches().into_iter().zip(1usize..) {
            metrics::counter!("auth_bcrypt_batches_total", "hashes" => hashes.to_string()).absolute(count);
        }
        self.handle.render()
    }
}
