use crate::blocking::run_blocking;
use crate::error::ApiError;
use crate::extract::BearerToken;
use crate::observe::{outcome, record_user};
use crate::wire::MessageBody;
use actix_web::{HttpResponse, web};
use auth_domain::AuthService;

/// Revoke the bearer token. A missing header is 403, as in the Flask service.
#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "`Successfully logged out.`", body = crate::wire::MessageBody),
        (status = 401, description = "Malformed, expired, invalid or already revoked token", body = crate::wire::MessageBody),
        (status = 403, description = "No token", body = crate::wire::MessageBody),
        (status = 503, description = "Database unavailable", body = crate::wire::MessageBody),
    )
)]
pub async fn logout(service: web::Data<AuthService>, token: BearerToken<403>) -> Result<HttpResponse, ApiError> {
    let service = service.into_inner();
    let result = run_blocking(move || service.logout(&token.into_inner())).await;
    metrics::counter!("auth_logouts_total", "outcome" => outcome(&result, "logged_out")).increment(1);
    record_user(result?);
    Ok(HttpResponse::Ok().json(MessageBody::success("Successfully logged out.")))
}
