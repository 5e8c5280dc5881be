use crate::http::{MetricsEndpoint, RequestSpan};
use crate::settings::Settings;
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use auth_api::{BodyTimeout, ClientSocket, HashLimiter, MetricsSource};
use auth_domain::{AuthService, Clock, PasswordHasher, PasswordPolicy, Readiness, SystemClock, TokenCodec};
use auth_persistence::{DieselStore, PoolSettings, run_migrations};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tracing_actix_web::TracingLogger;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    DatabaseUrl(#[from] auth_persistence::DatabaseUrlError),
    #[error(transparent)]
    Migration(#[from] auth_persistence::MigrationError),
    #[error(transparent)]
    Pool(#[from] auth_persistence::PoolError),
    #[error("invalid password settings: {0}")]
    Hash(#[from] auth_domain::HashError),
    #[error("invalid token settings: {0}")]
    Token(#[from] auth_domain::TokenConfigError),
    #[error("{0}")]
    Connections(String),
    #[error("cannot listen on {address}: {source}")]
    Bind { address: String, source: std::io::Error },
}

pub fn pool_settings(settings: &Settings) -> Result<PoolSettings, StartupError> {
    Ok(settings.database.pool_settings()?)
}

/// The composition root: migrates the database, then wires the stores, hasher and token codec into
/// the use cases. Returns the store too, for readiness and pool metrics.
pub fn build_components(
    settings: &Settings,
    clock: Arc<dyn Clock>,
) -> Result<(AuthService, Arc<DieselStore>), StartupError> {
    let pool_settings = pool_settings(settings)?;
    run_migrations(&pool_settings)?;
    let store = Arc::new(DieselStore::open(&pool_settings)?);
    Ok((assemble(settings, store.clone(), clock)?, store))
}

/// The use cases over an existing store (no migration, no connection made).
pub fn assemble(
    settings: &Settings,
    store: Arc<DieselStore>,
    clock: Arc<dyn Clock>,
) -> Result<AuthService, StartupError> {
    let tokens = TokenCodec::new(&token_settings(settings))?;
    let hasher = PasswordHasher::new(settings.password.bcrypt_cost)?;
    let policy = PasswordPolicy { min_length: settings.password.min_length };
    Ok(AuthService::new(store.clone(), store, hasher, tokens, policy, clock))
}

pub fn token_settings(settings: &Settings) -> auth_domain::TokenSettings {
    auth_domain::TokenSettings {
        secret: settings.tokens.secret.clone(),
        issuer: settings.tokens.issuer.clone(),
        access_ttl_secs: settings.tokens.access_ttl_secs,
        leeway_secs: settings.tokens.leeway_secs,
    }
}

pub fn build_auth_service(settings: &Settings, clock: Arc<dyn Clock>) -> Result<AuthService, StartupError> {
    build_components(settings, clock).map(|(service, _)| service)
}

/// What every worker's app shares: the use cases, the bound on concurrent hashing, the readiness probe
/// and, when it is served on the main address, the metrics endpoint.
#[derive(Clone)]
pub struct AppData {
    service: web::Data<AuthService>,
    hashes: web::Data<HashLimiter>,
    body_timeout: web::Data<BodyTimeout>,
    readiness: web::Data<dyn Readiness>,
    metrics: Option<web::Data<dyn MetricsSource>>,
}

impl AppData {
    pub fn new(service: AuthService, store: Arc<DieselStore>, settings: &Settings) -> Self {
        let metrics = (settings.metrics.enabled && settings.metrics.bind.is_empty()).then(|| metrics_source(&store));
        let readiness: Arc<dyn Readiness> = store;
        Self {
            service: web::Data::new(service),
            hashes: web::Data::new(HashLimiter::new(settings.password.max_concurrent_hashes)),
            body_timeout: web::Data::new(BodyTimeout(Duration::from_millis(settings.server.body_timeout_ms))),
            readiness: web::Data::from(readiness),
            metrics,
        }
    }

    pub fn service(&self) -> &web::Data<AuthService> {
        &self.service
    }

    /// Registers the routes with their shared data; tests call this on their own `App`.
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(self.service.clone())
            .app_data(self.hashes.clone())
            .app_data(self.body_timeout.clone())
            .app_data(self.readiness.clone());
        if let Some(metrics) = &self.metrics {
            cfg.app_data(metrics.clone());
        }
        auth_api::configure(cfg);
    }
}

/// The running HTTP server (and the metrics server, when it has its own address), and the background
/// pruning of expired revocations.
pub struct Application {
    port: u16,
    metrics_port: Option<u16>,
    server: Server,
    metrics_server: Option<Server>,
    prune_task: actix_web::rt::task::JoinHandle<()>,
}

impl Application {
    /// Binds `server.host:server.port` (port 0 picks a free one) and starts serving.
    pub fn build(settings: &Settings) -> Result<Self, StartupError> {
        Self::build_with_clock(settings, Arc::new(SystemClock))
    }

    pub fn build_with_clock(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Self, StartupError> {
        let (service, store) = build_components(settings, clock)?;
        let data = AppData::new(service, store.clone(), settings);
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let (listener, port) = bind(&address)?;

        let app_data = data.clone();
        let cors_settings = settings.cors.clone();
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(crate::http::observe))
                .wrap(crate::http::cors(&cors_settings))
                .wrap(TracingLogger::<RequestSpan>::new())
                .configure(|cfg| app_data.configure(cfg))
        })
        .shutdown_timeout(settings.server.shutdown_timeout_secs)
        .max_connections(connections_per_worker(settings)?)
        // A client that closes its side has gone: its request is dropped (a queued hash never runs).
        .h1_allow_half_closed(false)
        .on_connect(|connection, extensions| {
            if let Some(socket) = connection.downcast_ref::<actix_web::rt::net::TcpStream>().and_then(ClientSocket::of)
            {
                extensions.insert(socket);
            }
        });
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        let blocking_threads = match settings.server.blocking_threads_per_worker {
            0 => settings.database.pool_max_size as usize,
            n => n,
        };
        server = server.worker_max_blocking_threads(blocking_threads.max(1));
        let server =
            server.listen(listener).map_err(|source| StartupError::Bind { address: address.clone(), source })?.run();

        let (metrics_server, metrics_port) = if settings.metrics.enabled && !settings.metrics.bind.is_empty() {
            let (listener, port) = bind(&settings.metrics.bind)?;
            let source = metrics_source(&store);
            let metrics_server = HttpServer::new(move || {
                App::new().app_data(source.clone()).route("/metrics", web::get().to(auth_api::metrics))
            })
            .workers(1)
            .listen(listener)
            .map_err(|source| StartupError::Bind { address: settings.metrics.bind.clone(), source })?
            .run();
            tracing::info!(address = %settings.metrics.bind, port, "metrics listening");
            (Some(metrics_server), Some(port))
        } else {
            (None, None)
        };

        let prune_task =
            spawn_pruning(data.service().clone(), Duration::from_secs(settings.tokens.prune_interval_secs));
        tracing::info!(%address, port, "auth-service listening");
        Ok(Self { port, metrics_port, server, metrics_server, prune_task })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The metrics server's port, when metrics have an address of their own.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped (SIGTERM/SIGINT: stop accepting, let in-flight requests finish within
    /// `server.shutdown_timeout_secs`), then stops the metrics server and the pruning, and closes the pool.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics = self.metrics_server.map(|server| {
            let handle = server.handle();
            (actix_web::rt::spawn(server), handle)
        });
        let result = self.server.await;
        if let Some((task, handle)) = metrics {
            handle.stop(true).await;
            let _ = task.await;
        }
        self.prune_task.abort();
        tracing::info!("auth-service stopped");
        result
    }
}

/// Raises the soft open-file limit to the hard one, then sizes the connection cap from it.
fn connections_per_worker(settings: &Settings) -> Result<usize, StartupError> {
    if let Err(e) = rlimit::increase_nofile_limit(crate::settings::open_file_limit()) {
        tracing::warn!(error = %e, "could not raise the open-file limit");
    }
    let per_worker =
        settings.server.connections_per_worker(settings.database.pool_max_size).map_err(StartupError::Connections)?;
    tracing::debug!(per_worker, "connection cap");
    Ok(per_worker)
}

fn metrics_source(store: &DieselStore) -> web::Data<dyn MetricsSource> {
    let source: Arc<dyn MetricsSource> = Arc::new(MetricsEndpoint::new(store.pool().clone()));
    web::Data::from(source)
}

fn bind(address: &str) -> Result<(TcpListener, u16), StartupError> {
    let bind_error = |source| StartupError::Bind { address: address.to_owned(), source };
    let listener = TcpListener::bind(address).map_err(bind_error)?;
    let port = listener.local_addr().map_err(bind_error)?.port();
    Ok((listener, port))
}

/// Deletes expired revocations at start-up and then every `interval`, so the table stays bounded by
/// the number of unexpired revoked tokens.
fn spawn_pruning(service: web::Data<AuthService>, interval: Duration) -> actix_web::rt::task::JoinHandle<()> {
    actix_web::rt::spawn(async move {
        let mut ticks = actix_web::rt::time::interval(interval);
        loop {
            ticks.tick().await;
            let service = service.clone();
            match web::block(move || service.prune_revocations()).await {
                Ok(Ok(pruned)) => metrics::counter!("auth_revocations_pruned_total").increment(pruned),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "pruning expired revocations failed; will retry")
                }
                Err(e) => tracing::error!(error = %e, "pruning task failed"),
            }
        }
    })
}
