use crate::blocking::run_blocking;
use crate::error::ApiError;
use crate::extract::{ClientDetails, LinkTokenRequest};
use crate::observe::{outcome, record_user};
use crate::wire::MessageBody;
use actix_web::{HttpResponse, web};
use auth_domain::AuthService;
use secrecy::ExposeSecret;

/// Confirm a change of address with the token of the link sent to the new address (the page
/// `GET /auth/email/confirm` posts it).
#[utoipa::path(
    post,
    path = "/auth/email/confirm",
    tag = "account",
    request_body(content = crate::extract::LinkTokenRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "`Email changed.`: the account has the new address, verified", body = crate::wire::MessageBody),
        (status = 400, description = "Invalid JSON or field, or `Invalid or expired link.`", body = crate::wire::MessageBody),
        (status = 409, description = "`That address is already registered.`: another account took it since the link was sent (the link still works should it become free)", body = crate::wire::MessageBody),
        (status = 413, description = "Body over 64 KiB", body = crate::wire::MessageBody),
        (status = 415, description = "Not application/json", body = crate::wire::MessageBody),
        (status = 503, description = "Database unavailable", body = crate::wire::MessageBody),
    )
)]
pub async fn confirm_email_change(
    service: web::Data<AuthService>,
    client: ClientDetails,
    body: LinkTokenRequest,
) -> Result<HttpResponse, ApiError> {
    let service = service.into_inner();
    let result = run_blocking(move || service.confirm_email_change(body.token.expose_secret(), client.0)).await;
    metrics::counter!("auth_email_changes_total", "outcome" => outcome(&result, "changed")).increment(1);
    record_user(result?);
    Ok(HttpResponse::Ok().json(MessageBody::success("Email changed.")))
}
