use crate::blocking::run_blocking;
use crate::error::ApiError;
use crate::extract::{BearerToken, ClientDetails};
use crate::observe::{outcome, record_user};
use crate::wire::MessageBody;
use actix_web::{HttpRequest, HttpResponse, web};
use auth_domain::{AuthService, LogoutScope};

/// `?scope=`: which sessions a logout ends besides the token's own.
fn scope(request: &HttpRequest) -> Result<LogoutScope, ApiError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(request.query_string()).map_err(|_| ApiError::InvalidScope)?;
    let mut scope = LogoutScope::Local;
    for (key, value) in pairs {
        if key == "scope" {
            scope = match value.as_str() {
                "local" => LogoutScope::Local,
                "others" => LogoutScope::Others,
                "global" => LogoutScope::Global,
                _ => return Err(ApiError::InvalidScope),
            };
        }
    }
    Ok(scope)
}

/// Revoke the bearer token and end its session. A missing header is 403, as in the Flask service.
#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "auth",
    security(("bearer" = [])),
    params(("scope" = Option<String>, Query, description = "`local` (the default): this session; `others`: every other session of the user; `global`: all of them", pattern = "^(local|others|global)$")),
    responses(
        (status = 200, description = "`Successfully logged out.`", body = crate::wire::MessageBody),
        (status = 400, description = "`Invalid scope.`", body = crate::wire::MessageBody),
        (status = 401, description = "Malformed, expired, invalid or already revoked token", body = crate::wire::MessageBody),
        (status = 403, description = "No token", body = crate::wire::MessageBody),
        (status = 503, description = "Database unavailable", body = crate::wire::MessageBody),
    )
)]
pub async fn logout(
    service: web::Data<AuthService>,
    request: HttpRequest,
    token: BearerToken<403>,
    client: ClientDetails,
) -> Result<HttpResponse, ApiError> {
    let scope = scope(&request)?;
    let service = service.into_inner();
    let result = run_blocking(move || service.logout(&token.into_inner(), scope, client.0)).await;
    metrics::counter!("auth_logouts_total", "outcome" => outcome(&result, "logged_out")).increment(1);
    record_user(result?);
    metrics::counter!("auth_sessions_ended_total", "reason" => "logout").increment(1);
    Ok(HttpResponse::Ok().json(MessageBody::success("Successfully logged out.")))
}
