use crate::authenticator::Authenticator;
use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};
use auth_domain::{Principal, Refusal};
use auth_token::AuthorizationError;
use std::future::Future;
use std::pin::Pin;

/// The caller of a request, authenticated once, here, before any handler runs: the `Authorization`
/// header as the token contract reads it (`auth_token::parse_authorization`), then the token checked by
/// the one path every authenticated request takes (`Authenticator`). Handlers and use cases receive the
/// `Principal`, never the token.
///
/// A missing header is answered with `MISSING_STATUS` (the Flask contract: 401 on status, 403 on
/// logout); every other refusal with the contract's status and message.
#[derive(Debug)]
pub struct Authenticated<const MISSING_STATUS: u16 = 401>(pub Principal);

impl<const MISSING_STATUS: u16> Authenticated<MISSING_STATUS> {
    pub fn into_inner(self) -> Principal {
        self.0
    }
}

/// The bearer token of a request, or why there is none.
pub(crate) fn bearer_token(req: &HttpRequest, missing_status: u16) -> Result<&str, ApiError> {
    auth_token::parse_authorization(req.headers().get_all(AUTHORIZATION).map(|v| v.as_bytes())).map_err(|e| {
        tracing::info!(reason = %e, "authorization header refused");
        match e {
            AuthorizationError::Missing => ApiError::MissingToken {
                status: StatusCode::from_u16(missing_status).unwrap_or(StatusCode::UNAUTHORIZED),
            },
            AuthorizationError::Malformed => ApiError::Token(Refusal::Malformed),
        }
    })
}

impl<const MISSING_STATUS: u16> FromRequest for Authenticated<MISSING_STATUS> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req, MISSING_STATUS).map(str::to_owned);
        let authenticator = req.app_data::<web::Data<Authenticator>>().cloned();
        Box::pin(async move {
            let token = token?;
            let Some(authenticator) = authenticator else {
                tracing::error!("no Authenticator in the app data");
                return Err(ApiError::Internal);
            };
            let principal = authenticator.authenticate(token).await;
            metrics::counter!("auth_token_checks_total", "outcome" => crate::observe::outcome(&principal, "valid"))
                .increment(1);
            if let Err(e) = &principal {
                tracing::info!(reason = %e, "bearer token refused");
            }
            principal.map(Self)
        })
    }
}
