use crate::error::ApiError;
use crate::extract::Credentials;
use crate::hash_limiter::HashLimiter;
use crate::observe::{outcome, record_user};
use actix_web::{HttpResponse, web};
use auth_domain::AuthService;
use secrecy::ExposeSecret;
use serde::Serialize;

#[derive(Serialize)]
pub(crate) struct TokenBody<'a> {
    pub status: &'static str,
    pub message: &'static str,
    pub auth_token: &'a str,
}

/// `POST /auth/register`: 201 with a token, or 202 when the email is taken.
pub async fn register(
    service: web::Data<AuthService>,
    hashes: web::Data<HashLimiter>,
    credentials: Credentials,
) -> Result<HttpResponse, ApiError> {
    let service = service.into_inner();
    let result = hashes.run(move || service.register(&credentials.email, credentials.password)).await;
    metrics::counter!("auth_registrations_total", "outcome" => outcome(&result, "created")).increment(1);
    let registered = result?;
    record_user(registered.user.id);
    Ok(HttpResponse::Created().json(TokenBody {
        status: "success",
        message: "Successfully registered.",
        auth_token: registered.token.token.expose_secret(),
    }))
}
