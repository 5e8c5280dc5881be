use crate::http::{MetricsEndpoint, RequestSpan};
use crate::settings::SigningAlgorithm;
use crate::settings::{MetricsSettings, Settings};
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use auth_api::{Authenticator, BodyTimeout, HashLimiter, MetricsSource, TrustedProxies};
use auth_bcrypt::{Bcrypt, BcryptEngine, HashCapacity};
use auth_domain::{
    AuthService, Clock, KeyEncryptionKey, KeyRing, PasswordHasher, PasswordPolicy, Passwords, Readiness,
    RefreshTokenCodec, SessionPolicy, Signer, Stores, SystemClock, ThrottlePolicy, TokenCodec, Tokens, UnparsedText,
};
use auth_persistence::{DieselStore, PoolSettings, run_migrations};
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
    #[error("{0}")]
    Connections(String),
    #[error("{}", .0.join("; "))]
    TrustedProxies(Vec<String>),
    #[error("signing keys: {0}")]
    Keys(#[from] auth_domain::KeyError),
    #[error("cannot start the token-check or bcrypt threads: {0}")]
    Threads(std::io::Error),
    #[error("email: {0}")]
    Mail(String),
    #[error("cannot listen on {address}: {source}")]
    Bind { address: String, source: std::io::Error },
}

/// Where `/metrics` is served, decided once from `metrics.enabled` and `metrics.bind`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricsPlacement {
    Off,
    MainAddress,
    OwnAddress(String),
}

impl MetricsPlacement {
    pub fn of(settings: &MetricsSettings) -> Self {
        match (settings.enabled, settings.bind.as_str()) {
            (false, _) => Self::Off,
            (true, "") => Self::MainAddress,
            (true, bind) => Self::OwnAddress(bind.to_owned()),
        }
    }
}

/// The composition root: everything the service is made of, wired once from the settings. What every
/// worker's app shares (the use cases, the hash bound, the body timeout, readiness and, on the main
/// address, the metrics endpoint) is held as `web::Data`, so cloning it per worker is cheap.
#[derive(Clone)]
pub struct Components {
    service: web::Data<AuthService>,
    store: Arc<DieselStore>,
    hashes: web::Data<HashLimiter>,
    authenticator: web::Data<Authenticator>,
    /// With EdDSA, the signing keys the key task keeps read.
    key_ring: Option<Arc<KeyRing>>,
    clock: Arc<dyn Clock>,
    body_timeout: web::Data<BodyTimeout>,
    proxies: web::Data<TrustedProxies>,
    readiness: web::Data<dyn Readiness>,
    metrics: MetricsPlacement,
    /// With email on, what renders and sends it, and the sender's wake-up (a row was queued here).
    mailer: Option<Arc<auth_mail::Mailer>>,
    outbox_wake: Arc<tokio::sync::Notify>,
    /// The revocation feed on this instance.
    feed: web::Data<auth_api::FeedHub>,
    feed_poll: Duration,
}

impl Components {
    /// Migrates the database, opens the pool (without waiting for a connection) and wires the use cases.
    pub fn build(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Self, StartupError> {
        let pool = PoolSettings::try_from(&settings.database)?;
        run_migrations(&pool)?;
        Self::over_store(settings, Arc::new(DieselStore::open(&pool)?), clock)
    }

    /// The same over an existing store: no migration, no connection made (tests over an unreachable database).
    pub fn over_store(
        settings: &Settings,
        store: Arc<DieselStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartupError> {
        let signer = match settings.tokens.algorithm {
            SigningAlgorithm::EdDsa => {
                let kek = KeyEncryptionKey::from_base64(settings.tokens.key_encryption_key.expose_secret())?;
                let ring = KeyRing::load(store.clone(), kek, settings.tokens.key_policy(), clock.now())?;
                Signer::EdDsa(Arc::new(ring))
            }
            SigningAlgorithm::Hs256 => Signer::hs256(&settings.tokens.secret)?,
        };
        let access = TokenCodec::new(&auth_domain::TokenSettings::from(&settings.tokens), signer)?;
        let key_ring = access.key_ring().cloned();
        let tokens = Tokens {
            access,
            refresh: RefreshTokenCodec::new(&settings.tokens.secret),
            sessions: SessionPolicy::from(&settings.sessions),
            unparsed: UnparsedText::new(&settings.tokens.secret),
        };
        let capacity = HashCapacity::for_this_machine(settings.password.max_concurrent_hashes);
        let hashes = HashLimiter::new(capacity.permits, settings.password.max_waiting_hashes);
        let engine = BcryptEngine::start(capacity.threads).map_err(StartupError::Threads)?;
        let passwords = Passwords {
            hasher: PasswordHasher::with_bcrypt(settings.password.bcrypt_cost, Bcrypt::on(Arc::new(engine)))?,
            policy: PasswordPolicy { min_length: settings.password.min_length },
        };
        let outbox_wake = Arc::new(tokio::sync::Notify::new());
        let (mail, mailer) = mail(settings, &outbox_wake)?;
        let service = AuthService::new(Stores::all(store.clone()), passwords, tokens, clock.clone())
            .with_throttle_policy(ThrottlePolicy::from(&settings.abuse))
            .with_audit_retention(settings.audit.retention())
            .with_mail(mail);
        let proxies = settings.server.trusted_proxies().map_err(StartupError::TrustedProxies)?;
        // the feed starts after what is stored now (read lazily: an unreachable database must not stop a
        // start, as for every other use case; the first poll reads it then)
        let feed = auth_api::FeedHub::new(service.feed_last_id().unwrap_or(0), settings.revocations.max_subscribers);
        let readiness: Arc<dyn Readiness> = store.clone();
        let service = Arc::new(service);
        // One lane: it holds one connection, and a batch gathers everything that arrived while the last
        // one ran. Two lanes halved the batches and doubled PostgreSQL's per-statement work: 23k against
        // 43k status/s (docs/BENCHMARKS.md).
        let authenticator = if store.token_checks_are_local() {
            Authenticator::here(service.clone())
        } else {
            Authenticator::start(service.clone(), 1).map_err(StartupError::Threads)?
        };
        Ok(Self {
            service: web::Data::from(service),
            authenticator: web::Data::new(authenticator),
            key_ring,
            clock,
            store,
            hashes: web::Data::new(hashes),
            body_timeout: web::Data::new(BodyTimeout(Duration::from_millis(settings.server.body_timeout_ms))),
            proxies: web::Data::new(proxies),
            readiness: web::Data::from(readiness),
            metrics: MetricsPlacement::of(&settings.metrics),
            mailer,
            outbox_wake,
            feed: web::Data::new(feed),
            feed_poll: Duration::from_millis(settings.revocations.poll_interval_ms),
        })
    }

    /// Publishes the revocation feed on this instance. Runs until the returned task is aborted.
    pub fn spawn_feed_task(&self) -> actix_web::rt::task::JoinHandle<()> {
        crate::feed_task::spawn(self.service.clone().into_inner(), self.feed.clone().into_inner(), self.feed_poll)
    }

    /// The revocation feed's hub (tests read its cursor).
    pub fn feed(&self) -> &auth_api::FeedHub {
        &self.feed
    }

    /// Sends what the outbox holds; `None` without email. Runs until the returned task is aborted.
    pub fn spawn_outbox_sender(&self) -> Option<actix_web::rt::task::JoinHandle<()>> {
        let mailer = self.mailer.clone()?;
        Some(crate::outbox_sender::spawn(
            self.service.clone().into_inner(),
            mailer,
            self.outbox_wake.clone(),
            self.clock.clone(),
        ))
    }

    /// Reads the signing keys on their schedule and whenever a token names a key not read yet; `None`
    /// with HS256. Runs until the returned task is aborted.
    pub fn spawn_key_task(&self) -> Option<actix_web::rt::task::JoinHandle<()>> {
        let ring = self.key_ring.clone()?;
        Some(crate::key_task::spawn(ring, self.clock.clone()))
    }

    pub fn service(&self) -> &web::Data<AuthService> {
        &self.service
    }

    /// The bound on concurrent hashes (tests read how many slots it handed out).
    pub fn hashes(&self) -> &HashLimiter {
        &self.hashes
    }

    /// Registers the routes with their shared data; tests call this on their own `App`.
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(self.service.clone())
            .app_data(self.hashes.clone())
            .app_data(self.authenticator.clone())
            .app_data(self.body_timeout.clone())
            .app_data(self.proxies.clone())
            .app_data(self.readiness.clone())
            .app_data(self.feed.clone());
        if self.metrics == MetricsPlacement::MainAddress {
            cfg.app_data(self.metrics_source());
        }
        auth_api::configure(cfg);
    }

    fn metrics_source(&self) -> web::Data<dyn MetricsSource> {
        let source: Arc<dyn MetricsSource> =
            Arc::new(MetricsEndpoint::new(self.store.pool().clone(), self.service.clone().into_inner()));
        web::Data::from(source)
    }
}

/// The running HTTP server (and the metrics server, when it has its own address), and the background
/// pruning of expired revocations.
pub struct Application {
    port: u16,
    metrics_port: Option<u16>,
    server: Server,
    metrics_server: Option<Server>,
    /// Pruning, the signing keys' reads, the metrics' upkeep: stopped with the server.
    background: Vec<actix_web::rt::task::JoinHandle<()>>,
}

impl Application {
    /// Binds `server.host:server.port` (port 0 picks a free one) and starts serving.
    pub fn build(settings: &Settings) -> Result<Self, StartupError> {
        Self::build_with_clock(settings, Arc::new(SystemClock))
    }

    pub fn build_with_clock(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Self, StartupError> {
        let components = Components::build(settings, clock)?;
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let (listener, port) = bind(&address, settings.server.listen_backlog)?;

        let app_components = components.clone();
        let cors_settings = settings.cors.clone();
        // A request hashing holds its blocking thread while it waits for the bcrypt threads: those are
        // added to the pool's share, so that logins never keep the other requests from the database.
        // (The hash slots are `HashCapacity`'s, decided once in `Components::over_store`.)
        let blocking_threads = match settings.server.blocking_threads_per_worker {
            0 => settings.database.pool_max_size as usize + components.hashes.max(),
            n => n,
        };
        let options = crate::http::ServerOptions {
            workers: settings.server.workers,
            max_connections_per_worker: connections_per_worker(settings)?,
            blocking_threads_per_worker: blocking_threads,
            shutdown_timeout_secs: settings.server.shutdown_timeout_secs,
        };
        let server = crate::http::serve(listener, options, move || {
            App::new()
                .wrap(from_fn(crate::http::observe))
                .wrap(crate::http::cors(&cors_settings))
                .wrap(TracingLogger::<RequestSpan>::new())
                .configure(|cfg| app_components.configure(cfg))
        })
        .map_err(|source| StartupError::Bind { address: address.clone(), source })?;

        let (metrics_server, metrics_port) = match &components.metrics {
            MetricsPlacement::OwnAddress(bind_to) => {
                let (listener, port) = bind(bind_to, settings.server.listen_backlog)?;
                let source = components.metrics_source();
                let metrics_server = HttpServer::new(move || {
                    App::new().app_data(source.clone()).route("/metrics", web::get().to(auth_api::metrics))
                })
                .workers(1)
                .listen(listener)
                .map_err(|source| StartupError::Bind { address: bind_to.clone(), source })?
                .run();
                tracing::info!(address = %bind_to, port, "metrics listening");
                (Some(metrics_server), Some(port))
            }
            MetricsPlacement::MainAddress | MetricsPlacement::Off => (None, None),
        };

        let mut background =
            vec![spawn_pruning(components.service().clone(), Duration::from_secs(settings.tokens.prune_interval_secs))];
        background.extend(components.spawn_key_task());
        background.extend(components.spawn_outbox_sender());
        background.push(components.spawn_feed_task());
        if components.metrics != MetricsPlacement::Off {
            background.push(crate::http::spawn_metrics_upkeep());
        }
        tracing::info!(%address, port, "auth-service listening");
        Ok(Self { port, metrics_port, server, metrics_server, background })
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
        for task in self.background {
            task.abort();
        }
        tracing::info!("auth-service stopped");
        result
    }
}

/// How the service mails (`email.*`), and with email on the mailer that sends it.
fn mail(
    settings: &Settings,
    wake: &Arc<tokio::sync::Notify>,
) -> Result<(auth_domain::Mail, Option<Arc<auth_mail::Mailer>>), StartupError> {
    let email = &settings.email;
    if !email.enabled() {
        return Ok((auth_domain::Mail::off(), None));
    }
    let kek = KeyEncryptionKey::from_base64(settings.tokens.key_encryption_key.expose_secret())?;
    let mailer_settings = email.mailer().map_err(|e| StartupError::Mail(e.to_string()))?;
    let mailer = auth_mail::Mailer::new(mailer_settings).map_err(|e| StartupError::Mail(e.to_string()))?;
    let waker = wake.clone();
    let mail = auth_domain::Mail {
        policy: email.policy(),
        sealer: Some(auth_domain::MailSealer::new(Arc::new(kek))),
        waker: auth_domain::MailWaker::new(move || waker.notify_one()),
    };
    Ok((mail, Some(Arc::new(mailer))))
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

fn bind(address: &str, backlog: u32) -> Result<(TcpListener, u16), StartupError> {
    let bound = crate::listener::listen(address, backlog)
        .map_err(|source| StartupError::Bind { address: address.to_owned(), source })?;
    if let Some(cap) = crate::listener::kernel_backlog_cap().filter(|&cap| cap < backlog) {
        tracing::warn!(
            backlog,
            somaxconn = cap,
            "the kernel caps the listen queue below server.listen_backlog; raise net.core.somaxconn"
        );
    }
    Ok(bound)
}

/// Deletes expired revocations and sessions at start-up and then every `interval`, so the tables stay
/// bounded by what can still matter.
fn spawn_pruning(service: web::Data<AuthService>, interval: Duration) -> actix_web::rt::task::JoinHandle<()> {
    actix_web::rt::spawn(async move {
        let mut ticks = actix_web::rt::time::interval(interval);
        loop {
            ticks.tick().await;
            let service = service.clone();
            let pruned = auth_api::run_blocking(move || Ok::<_, auth_api::ApiError>(service.prune())).await;
            match pruned {
                Ok(Ok(pruned)) => {
                    metrics::counter!("auth_revocations_pruned_total").increment(pruned.revocations);
                    metrics::counter!("auth_sessions_pruned_total").increment(pruned.sessions);
                    metrics::counter!("auth_attempt_counters_pruned_total").increment(pruned.counters);
                    metrics::counter!("auth_events_pruned_total").increment(pruned.events);
                    metrics::counter!("auth_outbox_pruned_total").increment(pruned.mails);
                    metrics::counter!("auth_links_pruned_total").increment(pruned.links);
                    metrics::counter!("auth_feed_pruned_total").increment(pruned.feed);
                }
                Ok(Err(e)) => tracing::warn!(error = %e, "pruning expired revocations failed; will retry"),
                Err(e) => tracing::error!(error = %e, "pruning task failed"),
            }
        }
    })
}
