use crate::client::ClientConnection;
use crate::error::ApiError;
use crate::extract::{AccountDeletionRequest, Authenticated, ClientDetails};
use crate::hash_limiter::{HashLimiter, begin_then_hash};
use crate::observe::{outcome, record_user};
use crate::wire::MessageBody;
use actix_web::{HttpResponse, web};
use auth_domain::AuthService;

/// Delete the caller's account: the user, their sessions, tokens, links and counters go; their security
/// events stay, without the address. A later login is `User does not exist.`; the address can register
/// again.
#[utoipa::path(
    delete,
    path = "/auth/account",
    tag = "account",
    security(("bearer" = [])),
    request_body(content = crate::extract::AccountDeletionRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "`Account deleted.`", body = crate::wire::MessageBody),
        (status = 400, description = "Invalid JSON or field", body = crate::wire::MessageBody),
        (status = 401, description = "No, malformed, expired, invalid or revoked token", body = crate::wire::MessageBody),
        (status = 403, description = "`Current password is incorrect.`", body = crate::wire::MessageBody),
        (status = 408, description = "`Request body was not received in time.`", body = crate::wire::MessageBody),
        (status = 413, description = "Body over 64 KiB", body = crate::wire::MessageBody),
        (status = 415, description = "Not application/json", body = crate::wire::MessageBody),
        (status = 429, description = "`Too many attempts. Please try again later.`: wrong passwords count with failed logins of the account (`abuse.*`)", body = crate::wire::MessageBody),
        (status = 503, description = "Database unavailable", body = crate::wire::MessageBody),
    )
)]
pub async fn delete_account(
    service: web::Data<AuthService>,
    hashes: web::Data<HashLimiter>,
    connection: ClientConnection,
    caller: Authenticated,
    client: ClientDetails,
    body: AccountDeletionRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = caller.into_inner();
    let user = caller.user.id;
    let current_password = body.current_password;
    let result = begin_then_hash(
        service.into_inner(),
        &hashes,
        &connection,
        move |service| service.begin_account_deletion(&caller, client.0),
        move |service, deletion| service.finish_account_deletion(deletion, &current_password),
    )
    .await;
    metrics::counter!("auth_account_deletions_total", "outcome" => outcome(&result, "deleted")).increment(1);
    record_user(user);
    result?;
    Ok(HttpResponse::Ok().json(MessageBody::success("Account deleted.")))
}
