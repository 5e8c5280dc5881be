//! `Authenticated`: put a `web::Data<Verifier>` in the app, take `Authenticated` in a handler.
//!
//! ```no_run
//! use actix_web::{App, HttpResponse, HttpServer, web};
//! use auth_verify::{Verifier, VerifierConfig, actix::Authenticated};
//!
//! async fn hello(user: Authenticated) -> HttpResponse {
//!     HttpResponse::Ok().body(format!("hello, user {}", user.claims().user_id))
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let verifier = web::Data::new(Verifier::new(VerifierConfig::new(
//!     "http://auth:8080/.well-known/jwks.json",
//!     "auth-service",
//! )));
//! HttpServer::new(move || App::new().app_data(verifier.clone()).route("/hello", web::get().to(hello)))
//!     .bind(("0.0.0.0", 8081))?
//!     .run()
//!     .await
//! # }
//! ```

use crate::{Claims, Refusal, Verifier};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use std::future::Future;
use std::pin::Pin;

/// The caller, proven by a valid access token of auth-service.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Claims);

impl Authenticated {
    pub fn claims(&self) -> &Claims {
        &self.0
    }
}

/// Why a request is not authenticated: the answer auth-service itself gives for the same token, in its
/// JSON shape (`{"status":"fail","message":...}`), from the token contract (`auth_token::Refusal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("{}", .0.message())]
    Refused(Refusal),
    /// No `web::Data<Verifier>` in the app: a mistake of the service using this crate.
    #[error("Internal server error.")]
    NoVerifier,
}

impl From<Refusal> for Rejection {
    fn from(refusal: Refusal) -> Self {
        Self::Refused(refusal)
    }
}

impl ResponseError for Rejection {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Refused(refusal) => StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::UNAUTHORIZED),
            Self::NoVerifier => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if let Self::Refused(refusal) = self {
            if let Some(challenge) = refusal.challenge() {
                response.insert_header((WWW_AUTHENTICATE, challenge));
            }
            if *refusal == Refusal::KeysUnavailable {
                response.insert_header((RETRY_AFTER, "1"));
            }
        }
        response.json(serde_json::json!({"status": "fail", "message": self.to_string()}))
    }
}

impl FromRequest for Authenticated {
    type Error = Rejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Rejection>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verifier = req.app_data::<web::Data<Verifier>>().cloned();
        let token = auth_token::parse_authorization(req.headers().get_all(AUTHORIZATION).map(|v| v.as_bytes()))
            .map(str::to_owned)
            .map_err(Refusal::from);
        Box::pin(async move {
            let verifier = verifier.ok_or(Rejection::NoVerifier)?;
            let token = token?;
            // With the keys in hand the check is a few microseconds; a fetch runs off the executor.
            let result = match verifier.verify_cached(&token) {
                Some(result) => result,
                None => web::block(move || verifier.verify(&token)).await.map_err(|_| Refusal::KeysUnavailable)?,
            };
            result.map(Authenticated).map_err(Rejection::from)
        })
    }
}
