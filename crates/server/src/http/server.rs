//! The HTTP server under the app: what actix-web's `HttpServer::listen` builds, with each connection
//! wrapped so that even the answers actix-http gives before any app code runs are JSON
//! (`JsonParseErrors`), and the client's socket recorded for the requests to ask whether it has gone.

use super::head_errors::JsonParseErrors;
use actix_http::{HttpService, Protocol, Request, Response, body::MessageBody};
use actix_server::Server;
use actix_service::{IntoServiceFactory, ServiceFactory, ServiceFactoryExt, fn_service, map_config};
use actix_web::dev::AppConfig;
use auth_api::ClientSocket;
use std::net::TcpListener;
use std::time::Duration;

/// How the server runs (`server.*` settings).
#[derive(Debug, Clone, Copy)]
pub struct ServerOptions {
    /// 0: one per core.
    pub workers: usize,
    pub max_connections_per_worker: usize,
    pub blocking_threads_per_worker: usize,
    pub shutdown_timeout_secs: u64,
}

/// Serves `app` on `listener` until stopped; as `HttpServer` would, with actix-web's defaults (5 s to
/// receive a request head, 1 s for a client to close after the answer), and a client that closes its
/// side counted as gone (its request is dropped, so a queued hash never runs).
pub fn serve<F, I, S, B>(listener: TcpListener, options: ServerOptions, app: F) -> std::io::Result<Server>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: IntoServiceFactory<S, Request>,
    S: ServiceFactory<Request, Config = AppConfig> + 'static,
    S::Error: Into<actix_web::Error> + 'static,
    S::InitError: std::fmt::Debug,
    S::Response: Into<Response<B>> + 'static,
    <S::Service as actix_service::Service<Request>>::Future: 'static,
    S::Service: 'static,
    B: MessageBody + 'static,
{
    let address = listener.local_addr()?;
    let mut builder = Server::build()
        .max_concurrent_connections(options.max_connections_per_worker)
        .worker_max_blocking_threads(options.blocking_threads_per_worker.max(1))
        .shutdown_timeout(options.shutdown_timeout_secs);
    if options.workers > 0 {
        builder = builder.workers(options.workers);
    }
    let shutdown = builder.graceful_shutdown_signal();
    builder
        .listen("auth-service", listener, move || {
            let shutdown = shutdown.clone();
            let http = HttpService::build()
                .graceful_shutdown_signal(move || {
                    let shutdown = shutdown.clone();
                    async move { shutdown.notified().await }
                })
                .client_request_timeout(Duration::from_secs(5))
                .client_disconnect_timeout(Duration::from_secs(1))
                .h1_allow_half_closed(false)
                .local_addr(address)
                .on_connect_ext(|connection: &JsonParseErrors, extensions| {
                    if let Some(socket) = ClientSocket::of(connection.tcp()) {
                        extensions.insert(socket);
                    }
                })
                .finish(map_config(
                    app().into_factory().map_err(|e| e.into().error_response()),
                    // host and address only matter for URL generation, which the API does not use
                    |_| AppConfig::default(),
                ));
            fn_service(|io: actix_web::rt::net::TcpStream| async move {
                let peer = io.peer_addr().ok();
                Ok((JsonParseErrors::new(io), Protocol::Http1, peer))
            })
            .and_then(http)
        })
        .map(actix_server::ServerBuilder::run)
}
