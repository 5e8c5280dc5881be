use crate::client::ClientConnection;
use crate::error::ApiError;
use crate::extract::{ClientDetails, Credentials};
use crate::hash_limiter::{HashLimiter, begin_then_hash};
use crate::observe::{outcome, record_user};
use crate::wire::TokenBody;
use actix_web::{HttpResponse, web};
use auth_domain::AuthService;

/// Log in; an unknown email and a wrong password get the same 404. Starts a session.
#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "auth",
    request_body(content = crate::extract::Credentials, content_type = "application/json"),
    responses(
        (status = 200, description = "Logged in; the body carries an access token and a refresh token", body = TokenBody),
        (status = 400, description = "Invalid JSON or field", body = crate::wire::MessageBody),
        (status = 403, description = "`Email not verified.`: `email.require_verification` holds and the address is not verified (told only after the password was right)", body = crate::wire::MessageBody),
        (status = 404, description = "`User does not exist.`", body = crate::wire::MessageBody),
        (status = 408, description = "`Request body was not received in time.` (`server.body_timeout_ms`)", body = crate::wire::MessageBody),
        (status = 413, description = "Body over 64 KiB", body = crate::wire::MessageBody),
        (status = 415, description = "Not application/json", body = crate::wire::MessageBody),
        (status = 429, description = "`Too many attempts. Please try again later.`: past a failed-login limit (`abuse.*`); `Retry-After` says when to try again", body = crate::wire::MessageBody),
        (status = 503, description = "Database unavailable", body = crate::wire::MessageBody),
    )
)]
pub async fn login(
    service: web::Data<AuthService>,
    hashes: web::Data<HashLimiter>,
    connection: ClientConnection,
    client: ClientDetails,
    credentials: Credentials,
) -> Result<HttpResponse, ApiError> {
    let service = service.into_inner();
    let result = login_in_two_steps(service, &hashes, &connection, credentials, client).await;
    metrics::counter!("auth_logins_total", "outcome" => outcome(&result, "success")).increment(1);
    let issued = result?;
    metrics::counter!("auth_sessions_started_total").increment(1);
    record_user(issued.user_id);
    Ok(HttpResponse::Ok().json(TokenBody::new("Successfully logged in.", &issued)))
}

/// A login is two steps on the blocking pool (`begin_then_hash`): counted, and refused when throttled,
/// before it takes a hash slot.
async fn login_in_two_steps(
    service: std::sync::Arc<AuthService>,
    hashes: &HashLimiter,
    connection: &ClientConnection,
    credentials: Credentials,
    client: ClientDetails,
) -> Result<auth_domain::IssuedSession, ApiError> {
    if connection.is_gone() {
        return Err(ApiError::ClientGone);
    }
    let Credentials { email, password } = credentials;
    begin_then_hash(
        service,
        hashes,
        connection,
        move |service| service.begin_login(&email, client.0),
        move |service, attempt| service.finish_login(attempt, &password),
    )
    .await
}
