use crate::client::ClientConnection;
use crate::error::ApiError;
use crate::extract::{ClientDetails, Credentials};
use crate::hash_limiter::{HashLimiter, begin_then_hash};
use crate::observe::{outcome, record_user};
use crate::wire::{MessageBody, TokenBody};
use actix_web::{HttpResponse, web};
use auth_domain::AuthService;

/// Register a new user and log them in (a session starts).
#[utoipa::path(
    post,
    path = "/auth/register",
    tag = "auth",
    request_body(content = crate::extract::Credentials, content_type = "application/json"),
    responses(
        (status = 201, description = "Registered; the body carries an access token and a refresh token. With `email.require_verification`: `Successfully registered. Check your email to verify your address.` and no tokens (the login waits for the verification link)", body = TokenBody),
        (status = 202, description = "`User already exists. Please Log in.`", body = crate::wire::MessageBody),
        (status = 400, description = "Invalid JSON, field, email or password", body = crate::wire::MessageBody),
        (status = 408, description = "`Request body was not received in time.` (`server.body_timeout_ms`)", body = crate::wire::MessageBody),
        (status = 413, description = "Body over 64 KiB", body = crate::wire::MessageBody),
        (status = 415, description = "Not application/json", body = crate::wire::MessageBody),
        (status = 429, description = "`Too many attempts. Please try again later.`: past `abuse.register_per_ip_per_hour`; `Retry-After` says when to try again", body = crate::wire::MessageBody),
        (status = 503, description = "Database unavailable", body = crate::wire::MessageBody),
    )
)]
pub async fn register(
    service: web::Data<AuthService>,
    hashes: web::Data<HashLimiter>,
    connection: ClientConnection,
    client: ClientDetails,
    credentials: Credentials,
) -> Result<HttpResponse, ApiError> {
    let Credentials { email, password } = credentials;
    let result = begin_then_hash(
        service.into_inner(),
        &hashes,
        &connection,
        move |service| service.begin_register(&email, password, client.0),
        |service, attempt| service.finish_register(attempt),
    )
    .await;
    metrics::counter!("auth_registrations_total", "outcome" => outcome(&result, "created")).increment(1);
    let registered = result?;
    record_user(registered.user.id);
    match &registered.session {
        Some(session) => {
            metrics::counter!("auth_sessions_started_total").increment(1);
            Ok(HttpResponse::Created().json(TokenBody::new("Successfully registered.", session)))
        }
        // email.require_verification: the login waits for the address's verification
        None => Ok(HttpResponse::Created()
            .json(MessageBody::success("Successfully registered. Check your email to verify your address."))),
    }
}
