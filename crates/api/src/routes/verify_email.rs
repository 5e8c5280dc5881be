use crate::blocking::run_blocking;
use crate::error::ApiError;
use crate::extract::{ClientDetails, LinkTokenRequest};
use crate::observe::{outcome, record_user};
use crate::wire::MessageBody;
use actix_web::{HttpResponse, web};
use auth_domain::AuthService;
use secrecy::ExposeSecret;

/// Verify the address with the token of the verification link (the page `GET /auth/verify` posts it).
#[utoipa::path(
    post,
    path = "/auth/verify",
    tag = "account",
    request_body(content = crate::extract::LinkTokenRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "`Email verified.`", body = crate::wire::MessageBody),
        (status = 400, description = "Invalid JSON or field, or `Invalid or expired link.` (unknown, used, replaced by a newer one, or expired)", body = crate::wire::MessageBody),
        (status = 413, description = "Body over 64 KiB", body = crate::wire::MessageBody),
        (status = 415, description = "Not application/json", body = crate::wire::MessageBody),
        (status = 503, description = "Database unavailable", body = crate::wire::MessageBody),
    )
)]
pub async fn verify_email(
    service: web::Data<AuthService>,
    client: ClientDetails,
    body: LinkTokenRequest,
) -> Result<HttpResponse, ApiError> {
    let service = service.into_inner();
    let result = run_blocking(move || service.verify_email(body.token.expose_secret(), client.0)).await;
    metrics::counter!("auth_email_verifications_total", "outcome" => outcome(&result, "verified")).increment(1);
    record_user(result?);
    Ok(HttpResponse::Ok().json(MessageBody::success("Email verified.")))
}
