use crate::blocking::run_blocking;
use crate::error::ApiError;
use crate::extract::{ClientDetails, ForgotPasswordRequest};
use crate::observe::outcome;
use crate::wire::MessageBody;
use actix_web::{HttpResponse, web};
use auth_domain::AuthService;
use secrecy::ExposeSecret;

/// Ask for a password-reset link. The answer is the same whether or not the address has an account.
#[utoipa::path(
    post,
    path = "/auth/password/forgot",
    tag = "account",
    request_body(content = crate::extract::ForgotPasswordRequest, content_type = "application/json"),
    responses(
        (status = 202, description = "`If that address has an account, a reset link is on its way.`: for every valid address, with or without an account, in the same time", body = crate::wire::MessageBody),
        (status = 400, description = "Invalid JSON or field, or an invalid address (the messages of registration)", body = crate::wire::MessageBody),
        (status = 413, description = "Body over 64 KiB", body = crate::wire::MessageBody),
        (status = 415, description = "Not application/json", body = crate::wire::MessageBody),
        (status = 429, description = "`Too many attempts. Please try again later.`: past `abuse.forgot_per_ip_per_hour` from this client; `Retry-After` says when to try again", body = crate::wire::MessageBody),
        (status = 503, description = "`Email is not configured.` (`email.transport = \"none\"`), or the database is unavailable", body = crate::wire::MessageBody),
    )
)]
pub async fn forgot_password(
    service: web::Data<AuthService>,
    client: ClientDetails,
    body: ForgotPasswordRequest,
) -> Result<HttpResponse, ApiError> {
    let service = service.into_inner();
    let result = run_blocking(move || service.forgot_password(body.email.expose_secret(), client.0)).await;
    metrics::counter!("auth_password_reset_requests_total", "outcome" => outcome(&result, "accepted")).increment(1);
    result?;
    Ok(HttpResponse::Accepted()
        .json(MessageBody::success("If that address has an account, a reset link is on its way.")))
}
