use crate::blocking::run_blocking;
use crate::error::ApiError;
use crate::extract::{ClientDetails, RefreshRequest};
use crate::observe::{outcome, record_user};
use crate::wire::TokenBody;
use actix_web::{HttpResponse, web};
use auth_domain::{AuthService, RefreshError};
use secrecy::ExposeSecret;

/// Exchange a refresh token for a new access token and the session's next refresh token. The presented
/// one is consumed; presented again after `sessions.refresh_reuse_grace_secs`, it ends its session.
#[utoipa::path(
    post,
    path = "/auth/refresh",
    tag = "sessions",
    request_body(content = crate::extract::RefreshRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "`Successfully refreshed.`", body = TokenBody),
        (status = 400, description = "Invalid JSON, or `refresh_token` missing or not a string", body = crate::wire::MessageBody),
        (status = 401, description = "`Invalid refresh token. Please log in again.` (unknown, malformed, expired, consumed, or of an ended session)", body = crate::wire::MessageBody),
        (status = 408, description = "`Request body was not received in time.`", body = crate::wire::MessageBody),
        (status = 413, description = "Body over 64 KiB", body = crate::wire::MessageBody),
        (status = 415, description = "Not application/json", body = crate::wire::MessageBody),
        (status = 503, description = "Database unavailable", body = crate::wire::MessageBody),
    )
)]
pub async fn refresh(
    service: web::Data<AuthService>,
    client: ClientDetails,
    body: RefreshRequest,
) -> Result<HttpResponse, ApiError> {
    let service = service.into_inner();
    let result = run_blocking(move || match service.refresh(body.refresh_token.expose_secret(), client.0) {
        Err(RefreshError::Reused) => {
            metrics::counter!("auth_refresh_reuse_detected_total").increment(1);
            metrics::counter!("auth_sessions_ended_total", "reason" => "reuse").increment(1);
            Err(RefreshError::Reused)
        }
        other => other,
    })
    .await;
    metrics::counter!("auth_refreshes_total", "outcome" => outcome(&result, "refreshed")).increment(1);
    let issued = result?;
    record_user(issued.user_id);
    Ok(HttpResponse::Ok().json(TokenBody::new("Successfully refreshed.", &issued)))
}
