use super::register::TokenBody;
use crate::blocking::run_blocking;
use crate::error::ApiError;
use crate::extract::Credentials;
use actix_web::{HttpResponse, web};
use auth_domain::AuthService;
use secrecy::ExposeSecret;

/// `POST /auth/login`: 200 with a token; an unknown email and a wrong password get the same 404.
pub async fn login(
    service: web::Data<AuthService>,
    credentials: Credentials,
) -> Result<HttpResponse, ApiError> {
    let service = service.into_inner();
    let issued =
        run_blocking(move || service.login(&credentials.email, &credentials.password)).await?;
    Ok(HttpResponse::Ok().json(TokenBody {
        status: "success",
        message: "Successfully logged in.",
        auth_token: issued.token.expose_secret(),
    }))
}
