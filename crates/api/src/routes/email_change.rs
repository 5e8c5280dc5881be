use crate::client::ClientConnection;
use crate::error::ApiError;
use crate::extract::{Authenticated, ClientDetails, EmailChangeRequest};
use crate::hash_limiter::{HashLimiter, begin_then_hash};
use crate::observe::{outcome, record_user};
use crate::wire::MessageBody;
use actix_web::{HttpResponse, web};
use auth_domain::AuthService;
use secrecy::ExposeSecret;

/// Move the account to another address: a link goes to the new address (the account keeps the old one
/// until it is used), a notice to the old one.
#[utoipa::path(
    post,
    path = "/auth/email",
    tag = "account",
    security(("bearer" = [])),
    request_body(content = crate::extract::EmailChangeRequest, content_type = "application/json"),
    responses(
        (status = 202, description = "`Confirmation sent to the new address.`: also for an address another account has (it gets no email; nobody learns from the answer who is registered)", body = crate::wire::MessageBody),
        (status = 400, description = "Invalid JSON or field, or an invalid address (the messages of registration)", body = crate::wire::MessageBody),
        (status = 401, description = "No, malformed, expired, invalid or revoked token", body = crate::wire::MessageBody),
        (status = 403, description = "`Current password is incorrect.`", body = crate::wire::MessageBody),
        (status = 408, description = "`Request body was not received in time.`", body = crate::wire::MessageBody),
        (status = 413, description = "Body over 64 KiB", body = crate::wire::MessageBody),
        (status = 415, description = "Not application/json", body = crate::wire::MessageBody),
        (status = 429, description = "`Too many attempts. Please try again later.`: wrong passwords count with failed logins of the account (`abuse.*`)", body = crate::wire::MessageBody),
        (status = 503, description = "`Email is not configured.` (`email.transport = \"none\"`), or the database is unavailable", body = crate::wire::MessageBody),
    )
)]
pub async fn change_email(
    service: web::Data<AuthService>,
    hashes: web::Data<HashLimiter>,
    connection: ClientConnection,
    caller: Authenticated,
    client: ClientDetails,
    body: EmailChangeRequest,
) -> Result<HttpResponse, ApiError> {
    let EmailChangeRequest { new_email, current_password } = body;
    let caller = caller.into_inner();
    let user = caller.user.id;
    let result = begin_then_hash(
        service.into_inner(),
        &hashes,
        &connection,
        move |service| service.begin_email_change(&caller, new_email.expose_secret(), client.0),
        move |service, change| service.finish_email_change(change, &current_password),
    )
    .await;
    metrics::counter!("auth_email_change_requests_total", "outcome" => outcome(&result, "accepted")).increment(1);
    record_user(user);
    result?;
    Ok(HttpResponse::Accepted().json(MessageBody::success("Confirmation sent to the new address.")))
}
