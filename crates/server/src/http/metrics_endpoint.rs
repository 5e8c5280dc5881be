use auth_api::MetricsSource;
use auth_domain::AuthService;
use auth_persistence::DbPool;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::{Arc, OnceLock};

/// The process-wide Prometheus recorder (the `metrics` facade has one global recorder).
pub fn install_recorder() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let seconds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
            PrometheusBuilder::new().set_buckets(&seconds).and_then(PrometheusBuilder::install_recorder).unwrap_or_else(
                |e| {
                    // Another recorder is installed (embedding): render an empty page rather than fail.
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    PrometheusBuilder::new().build_recorder().handle()
                },
            )
        })
        .clone()
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
