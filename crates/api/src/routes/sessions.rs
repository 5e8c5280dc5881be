use crate::blocking::run_blocking;
use crate::error::ApiError;
use crate::extract::Authenticated;
use crate::observe::record_user;
use crate::wire::{SessionView, SessionsBody, SessionsData};
use actix_web::{HttpResponse, web};
use auth_domain::AuthService;
use chrono::SecondsFormat;

/// The caller's live sessions, newest first; `current` marks the one the token belongs to.
#[utoipa::path(
    get,
    path = "/auth/sessions",
    tag = "sessions",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The live sessions", body = SessionsBody),
        (status = 401, description = "No, malformed, expired, invalid or revoked token", body = crate::wire::MessageBody),
        (status = 503, description = "Database unavailable", body = crate::wire::MessageBody),
    )
)]
pub async fn sessions(service: web::Data<AuthService>, caller: Authenticated) -> Result<HttpResponse, ApiError> {
    let service = service.into_inner();
    let list = run_blocking(move || service.sessions(&caller.into_inner())).await?;
    record_user(list.user_id);
    let time = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let sessions = list
        .sessions
        .into_iter()
        .map(|s| SessionView {
            id: s.id.to_string(),
            created_on: time(s.created_on),
            last_active_on: time(s.last_active_on),
            user_agent: s.client.user_agent,
            ip: s.client.ip,
            current: Some(s.id) == list.current,
        })
        .collect();
    Ok(HttpResponse::Ok().json(SessionsBody { status: "success", data: SessionsData { sessions } }))
}
