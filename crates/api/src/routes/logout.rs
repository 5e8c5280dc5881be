use crate::blocking::run_blocking;
use crate::error::ApiError;
use crate::extract::{Authenticated, ClientDetails};
use crate::observe::{outcome, record_user};
use crate::wire::MessageBody;
use actix_web::{HttpRequest, HttpResponse, web};
use auth_domain::{AuthService, LogoutScope};

/// `?scope=`: which sessions a logout ends. Given twice, it is refused: which one wins would be a guess
/// (`?scope=local&scope=global` must not end every session of a client that meant one).
fn scope(request: &HttpRequest) -> Result<LogoutScope, ApiError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(request.query_string()).map_err(|_| ApiError::InvalidScope)?;
    let mut scopes = pairs.iter().filter(|(key, _)| key == "scope").map(|(_, value)| value.as_str());
    let scope = match scopes.next() {
        None | Some("local") => LogoutScope::Local,
        Some("others") => LogoutScope::Others,
        Some("global") => LogoutScope::Global,
        Some(_) => return Err(ApiError::InvalidScope),
    };
    if scopes.next().is_some() {
        return Err(ApiError::InvalidScope);
    }
    Ok(scope)
}

/// Revoke the bearer token and end its session (`local`), or every session of the user (`global`), or
/// end every other session and keep this one (`others`). A missing header is 403, as in the Flask service.
#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "auth",
    security(("bearer" = [])),
    params(("scope" = Option<String>, Query, description = "`local` (the default): this token and its session; `others`: every other session of the user, while this token and session keep working; `global`: this token and every session. Given once at most", pattern = "^(local|others|global)$")),
    responses(
        (status = 200, description = "`Successfully logged out.`", body = crate::wire::MessageBody),
        (status = 400, description = "`Invalid scope.` (unknown, or given twice)", body = crate::wire::MessageBody),
        (status = 401, description = "Malformed, expired, invalid or already revoked token", body = crate::wire::MessageBody),
        (status = 403, description = "No token", body = crate::wire::MessageBody),
        (status = 503, description = "Database unavailable", body = crate::wire::MessageBody),
    )
)]
pub async fn logout(
    service: web::Data<AuthService>,
    request: HttpRequest,
    caller: Authenticated<403>,
    client: ClientDetails,
) -> Result<HttpResponse, ApiError> {
    let scope = scope(&request)?;
    let service = service.into_inner();
    let result = run_blocking(move || service.logout(&caller.into_inner(), scope, client.0)).await;
    metrics::counter!("auth_logouts_total", "outcome" => outcome(&result, "logged_out")).increment(1);
    record_user(result?);
    metrics::counter!("auth_sessions_ended_total", "reason" => "logout").increment(1);
    Ok(HttpResponse::Ok().json(MessageBody::success("Successfully logged out.")))
}
