use crate::blocking::run_blocking;
use crate::error::ApiError;
use crate::extract::{Authenticated, ClientDetails};
use crate::observe::record_user;
use crate::wire::MessageBody;
use actix_web::{HttpResponse, web};
use auth_domain::AuthService;

/// End one of the caller's sessions; its tokens are refused at once. Another user's session is
/// answered like an unknown one.
#[utoipa::path(
    delete,
    path = "/auth/sessions/{id}",
    tag = "sessions",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A session id from `GET /auth/sessions`")),
    responses(
        (status = 200, description = "`Session ended.`", body = crate::wire::MessageBody),
        (status = 401, description = "No, malformed, expired, invalid or revoked token", body = crate::wire::MessageBody),
        (status = 404, description = "`Session not found.` (unknown, malformed, ended, or another user's)", body = crate::wire::MessageBody),
        (status = 503, description = "Database unavailable", body = crate::wire::MessageBody),
    )
)]
pub async fn end_session(
    service: web::Data<AuthService>,
    caller: Authenticated,
    id: web::Path<String>,
    client: ClientDetails,
) -> Result<HttpResponse, ApiError> {
    let service = service.into_inner();
    let user = run_blocking(move || service.end_session(&caller.into_inner(), &id.into_inner(), client.0)).await?;
    metrics::counter!("auth_sessions_ended_total", "reason" => "revoked").increment(1);
    record_user(user);
    Ok(HttpResponse::Ok().json(MessageBody::success("Session ended.")))
}
