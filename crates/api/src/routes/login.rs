use super::register::TokenBody;
use crate::error::ApiError;
use crate::extract::Credentials;
use crate::hash_limiter::HashLimiter;
use crate::observe::{outcome, record_user};
use actix_web::{HttpResponse, web};
use auth_domain::AuthService;
use secrecy::ExposeSecret;

/// `POST /auth/login`: 200 with a token; an unknown email and a wrong password get the same 404.
pub async fn login(
    service: web::Data<AuthService>,
    hashes: web::Data<HashLimiter>,
    credentials: Credentials,
) -> Result<HttpResponse, ApiError> {
    let service = service.into_inner();
    let result = hashes.run(move || service.login(&credentials.email, &credentials.password)).await;
    metrics::counter!("auth_logins_total", "outcome" => outcome(&result, "success")).increment(1);
    let issued = result?;
    record_user(issued.user_id);
    Ok(HttpResponse::Ok().json(TokenBody {
        status: "success",
        message: "Successfully logged in.",
        auth_token: issued.token.expose_secret(),
    }))
}
