use crate::client::ClientConnection;
use crate::error::ApiError;
use crate::extract::{BearerToken, ClientDetails, PasswordChangeRequest};
use crate::hash_limiter::HashLimiter;
use crate::observe::{outcome, record_user};
use crate::wire::MessageBody;
use actix_web::{HttpResponse, web};
use auth_domain::AuthService;

/// Change the password: every other session of the user ends; the calling one stays.
#[utoipa::path(
    post,
    path = "/auth/password",
    tag = "sessions",
    security(("bearer" = [])),
    request_body(content = crate::extract::PasswordChangeRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "`Password changed.`", body = crate::wire::MessageBody),
        (status = 400, description = "Invalid JSON or field, or a new password the policy refuses (the messages of registration)", body = crate::wire::MessageBody),
        (status = 401, description = "No, malformed, expired, invalid or revoked token", body = crate::wire::MessageBody),
        (status = 403, description = "`Current password is incorrect.`", body = crate::wire::MessageBody),
        (status = 408, description = "`Request body was not received in time.`", body = crate::wire::MessageBody),
        (status = 413, description = "Body over 64 KiB", body = crate::wire::MessageBody),
        (status = 415, description = "Not application/json", body = crate::wire::MessageBody),
        (status = 503, description = "Database unavailable", body = crate::wire::MessageBody),
    )
)]
pub async fn change_password(
    service: web::Data<AuthService>,
    hashes: web::Data<HashLimiter>,
    connection: ClientConnection,
    token: BearerToken<401>,
    client: ClientDetails,
    body: PasswordChangeRequest,
) -> Result<HttpResponse, ApiError> {
    let service = service.into_inner();
    let result = hashes
        .run(connection, move || {
            service.change_password(&token.into_inner(), &body.current_password, body.new_password, client.0)
        })
        .await;
    metrics::counter!("auth_password_changes_total", "outcome" => outcome(&result, "changed")).increment(1);
    record_user(result?);
    Ok(HttpResponse::Ok().json(MessageBody::success("Password changed.")))
}
