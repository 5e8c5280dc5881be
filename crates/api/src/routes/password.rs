use crate::client::ClientConnection;
use crate::error::ApiError;
use crate::extract::{Authenticated, ClientDetails, PasswordChangeRequest};
use crate::hash_limiter::{HashLimiter, begin_then_hash};
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
        (status = 429, description = "`Too many attempts. Please try again later.`: wrong current passwords count with failed logins of the account (`abuse.*`); `Retry-After` says when to try again", body = crate::wire::MessageBody),
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
    caller: Authenticated,
    client: ClientDetails,
    body: PasswordChangeRequest,
) -> Result<HttpResponse, ApiError> {
    let PasswordChangeRequest { current_password, new_password } = body;
    // Counted with the account's failed logins before it takes a hash slot (as a login is).
    let result = begin_then_hash(
        service.into_inner(),
        &hashes,
        &connection,
        move |service| service.begin_password_change(&caller.into_inner(), new_password, client.0),
        move |service, change| service.finish_password_change(change, &current_password),
    )
    .await;
    metrics::counter!("auth_password_changes_total", "outcome" => outcome(&result, "changed")).increment(1);
    record_user(result?);
    Ok(HttpResponse::Ok().json(MessageBody::success("Password changed.")))
}
