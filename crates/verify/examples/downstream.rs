//! A downstream service protected by auth-service's tokens, verified locally.
//!
//! ```sh
//! AUTH_JWKS_URL=http://127.0.0.1:8080/.well-known/jwks.json cargo run -p auth-verify --example downstream
//! curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8081/hello
//! ```
//!
//! `AUTH_JWKS_URL` (required), `AUTH_ISSUER` (default `auth-service`), `PORT` (default 8081; 0 picks a
//! free one), `AUTH_REVOCATIONS_URL` (optional: follow the revocation feed, e.g.
//! `http://127.0.0.1:8080/auth/revocations/stream`, so that a logout is refused here within a second).
//! Prints `listening on 127.0.0.1:PORT` once it listens.

use actix_web::{App, HttpResponse, HttpServer, web};
use auth_verify::actix::Authenticated;
use auth_verify::{FeedConfig, Verifier, VerifierConfig};
use std::io::Write;

async fn hello(user: Authenticated) -> HttpResponse {
    let claims = user.claims();
    HttpResponse::Ok().json(serde_json::json!({
        "status": "success",
        "data": {"user_id": claims.user_id, "session_id": claims.session_id}
    }))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let Ok(jwks_url) = std::env::var("AUTH_JWKS_URL") else {
        let _ = writeln!(
            std::io::stderr(),
            "downstream: set AUTH_JWKS_URL, e.g. http://127.0.0.1:8080/.well-known/jwks.json"
        );
        std::process::exit(2);
    };
    let issuer = std::env::var("AUTH_ISSUER").unwrap_or_else(|_| "auth-service".to_owned());
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8081);
    let mut verifier = Verifier::new(VerifierConfig::new(jwks_url, issuer));
    if let Ok(feed_url) = std::env::var("AUTH_REVOCATIONS_URL") {
        verifier = verifier.with_revocation_feed(FeedConfig::new(feed_url))?;
    }
    let verifier = web::Data::new(verifier);
    let server = HttpServer::new(move || App::new().app_data(verifier.clone()).route("/hello", web::get().to(hello)))
        .workers(1)
        .bind(("127.0.0.1", port))?;
    let port = server.addrs().first().map_or(port, |a| a.port());
    // the address on standard output, for whoever started this process (a test picks the port this way)
    writeln!(std::io::stdout(), "listening on 127.0.0.1:{port}")?;
    std::io::stdout().flush()?;
    server.run().await
}
