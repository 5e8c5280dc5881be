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

use crate::{Claims, Verifier, VerifyError};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
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

/// Why a request is not authenticated: the answer auth-service's `GET /auth/status` would give, in its
/// JSON shape (`{"status":"fail","message":...}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("Provide a valid auth token.")]
    Missing,
    #[error("Bearer token malformed.")]
    Malformed,
    #[error("Signature expired. Please log in again.")]
    Expired,
    #[error("Invalid token. Please log in again.")]
    Invalid,
    #[error("Service temporarily unavailable. Please try again.")]
    KeysUnavailable,
    /// No `web::Data<Verifier>` in the app: a mistake of the service using this crate.
    #[error("Internal server error.")]
    NoVerifier,
}

impl From<VerifyError> for Rejection {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::Expired => Self::Expired,
            VerifyError::Invalid => Self::Invalid,
            VerifyError::KeysUnavailable => Self::KeysUnavailable,
        }
    }
}

impl ResponseError for Rejection {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::KeysUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::NoVerifier => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::UNAUTHORIZED,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        match self {
            Self::Missing => {
                response.insert_header((WWW_AUTHENTICATE, "Bearer"));
            }
            Self::Malformed => {
                response.insert_header((WWW_AUTHENTICATE, r#"Bearer error="invalid_request""#));
            }
            Self::Expired | Self::Invalid => {
                response.insert_header((WWW_AUTHENTICATE, r#"Bearer error="invalid_token""#));
            }
            Self::KeysUnavailable => {
                response.insert_header(("Retry-After", "1"));
            }
            Self::NoVerifier => {}
        }
        response.json(serde_json::json!({"status": "fail", "message": self.to_string()}))
    }
}

/// `Bearer <token>`: one space, a token without spaces.
fn bearer(req: &HttpRequest) -> Result<String, Rejection> {
    let mut values = req.headers().get_all(AUTHORIZATION);
    let Some(value) = values.next() else { return Err(Rejection::Missing) };
    if values.next().is_some() {
        return Err(Rejection::Malformed);
    }
    let value = value.to_str().map_err(|_| Rejection::Malformed)?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme == "Bearer" && !token.is_empty() && !token.contains(' ') => {
            Ok(token.to_owned())
        }
        _ => Err(Rejection::Malformed),
    }
}

impl FromRequest for Authenticated {
    type Error = Rejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Rejection>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verifier = req.app_data::<web::Data<Verifier>>().cloned();
        let token = bearer(req);
        Box::pin(async move {
            let verifier = verifier.ok_or(Rejection::NoVerifier)?;
            let token = token?;
            // With the keys in hand the check is a few microseconds; a fetch runs off the executor.
            let result = match verifier.verify_cached(&token) {
                Some(result) => result,
                None => web::block(move || verifier.verify(&token)).await.map_err(|_| Rejection::KeysUnavailable)?,
            };
            result.map(Authenticated).map_err(Rejection::from)
        })
    }
}
