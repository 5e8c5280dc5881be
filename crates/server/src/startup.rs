use crate::settings::Settings;
use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpServer, web};
use auth_api::HashLimiter;
use auth_domain::{AuthService, Clock, PasswordHasher, PasswordPolicy, SystemClock, TokenCodec};
use auth_persistence::{DatabaseUrl, DieselStore, PoolSettings, build_pool, run_migrations};
use secrecy::ExposeSecret;
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
    #[error("cannot listen on {address}: {source}")]
    Bind { address: String, source: std::io::Error },
}

pub fn pool_settings(settings: &Settings) -> Result<PoolSettings, StartupError> {
    let db = &settings.database;
    Ok(PoolSettings {
        url: DatabaseUrl::parse(db.url.expose_secret())?,
        max_size: db.pool_max_size,
        acquire_timeout: Duration::from_millis(db.acquire_timeout_ms),
        sqlite_busy_timeout_ms: db.sqlite_busy_timeout_ms,
        statement_timeout_ms: db.statement_timeout_ms,
    })
}

/// The composition root: migrates the database, then wires the stores, hasher and token codec into
/// the use cases.
pub fn build_auth_service(settings: &Settings, clock: Arc<dyn Clock>) -> Result<AuthService, StartupError> {
    let pool_settings = pool_settings(settings)?;
    run_migrations(&pool_settings)?;
    let store = Arc::new(DieselStore::new(build_pool(&pool_settings)?));
    let tokens = TokenCodec::new(&auth_domain::TokenSettings {
        secret: settings.tokens.secret.clone(),
        issuer: settings.tokens.issuer.clone(),
        access_ttl_secs: settings.tokens.access_ttl_secs,
        leeway_secs: settings.tokens.leeway_secs,
    })?;
    let hasher = PasswordHasher::new(settings.password.bcrypt_cost)?;
    let policy = PasswordPolicy { min_length: settings.password.min_length };
    Ok(AuthService::new(store.clone(), store, hasher, tokens, policy, clock))
}

/// What every worker's app shares: the use cases and the bound on concurrent password hashing.
#[derive(Clone)]
pub struct AppData {
    service: web::Data<AuthService>,
    hashes: web::Data<HashLimiter>,
}

impl AppData {
    pub fn new(service: AuthService, settings: &Settings) -> Self {
        Self {
            service: web::Data::new(service),
            hashes: web::Data::new(HashLimiter::new(settings.password.max_concurrent_hashes)),
        }
    }

    pub fn service(&self) -> &web::Data<AuthService> {
        &self.service
    }

    /// Registers the routes with their shared data; tests call this on their own `App`.
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(self.service.clone()).app_data(self.hashes.clone()).configure(auth_api::configure);
    }
}

/// The running HTTP server and its background pruning of expired revocations.
pub struct Application {
    port: u16,
    server: Server,
    prune_task: actix_web::rt::task::JoinHandle<()>,
}

impl Application {
    /// Binds `server.host:server.port` (port 0 picks a free one) and starts serving.
    pub fn build(settings: &Settings) -> Result<Self, StartupError> {
        Self::build_with_clock(settings, Arc::new(SystemClock))
    }

    pub fn build_with_clock(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Self, StartupError> {
        let data = AppData::new(build_auth_service(settings, clock)?, settings);
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let bind_error = |source| StartupError::Bind { address: address.clone(), source };
        let listener = TcpListener::bind(&address).map_err(bind_error)?;
        let port = listener.local_addr().map_err(bind_error)?.port();

        let app_data = data.clone();
        let mut server =
            HttpServer::new(move || App::new().wrap(TracingLogger::default()).configure(|cfg| app_data.configure(cfg)));
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        let server = server.listen(listener).map_err(bind_error)?.run();
        let prune_task =
            spawn_pruning(data.service().clone(), Duration::from_secs(settings.tokens.prune_interval_secs));
        tracing::info!(%address, port, "auth-service listening");
        Ok(Self { port, server, prune_task })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.prune_task.abort();
        result
    }
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
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "pruning expired revocations failed; will retry")
                }
                Err(e) => tracing::error!(error = %e, "pruning task failed"),
            }
        }
    })
}
