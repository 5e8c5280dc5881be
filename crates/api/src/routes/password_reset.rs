use crate::client::ClientConnection;
use crate::error::ApiError;
use crate::extract::{ClientDetails, PasswordResetRequest};
use crate::hash_limiter::{HashLimiter, begin_then_hash};
use crate::observe::{outcome, record_user};
use crate::wire::MessageBody;
use actix_web::{HttpResponse, web};
use auth_domain::AuthService;
use secrecy::ExposeSecret;

/// Set a new password with the token of a reset link (the page `GET /auth/reset` posts it). Every
/// session ends; the address counts as verified.
#[utoipa::path(
    post,
    path = "/auth/password/reset",
    tag = "account",
    request_body(content = crate::extract::PasswordResetRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "`Password reset.`", body = crate::wire::MessageBody),
        (status = 400, description = "Invalid JSON or field; `Invalid or expired link.`; or a new password the policy refuses (the messages of registration; the link still works)", body = crate::wire::MessageBody),
        (status = 408, description = "`Request body was not received in time.`", body = crate::wire::MessageBody),
        (status = 413, description = "Body over 64 KiB", body = crate::wire::MessageBody),
        (status = 415, description = "Not application/json", body = crate::wire::MessageBody),
        (status = 503, description = "Database unavailable, or no hash slot free", body = crate::wire::MessageBody),
    )
)]
pub async fn reset_password(
    service: web::Data<AuthService>,
    hashes: web::Data<HashLimiter>,
    connection: ClientConnection,
    client: ClientDetails,
    body: PasswordResetRequest,
) -> Result<HttpResponse, ApiError> {
    let PasswordResetRequest { token, new_password } = body;
    // the link is checked before the new password is hashed: a bad link never takes a hash slot
    let result = begin_then_hash(
        service.into_inner(),
        &hashes,
        &connection,
        move |service| service.begin_password_reset(token.expose_secret(), new_password, client.0),
        |service, reset| service.finish_password_reset(reset),
    )
    .await;
    metrics::counter!("auth_password_resets_total", "outcome" => outcome(&result, "reset")).increment(1);
    record_user(result?);
    Ok(HttpResponse::Ok().json(MessageBody::success("Password reset.")))
}
