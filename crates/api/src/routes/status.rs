use crate::error::ApiError;
use crate::extract::BearerToken;
use crate::observe::{outcome, record_user};
use crate::token_check_lanes::TokenCheckLanes;
use actix_web::{HttpResponse, web};
use chrono::SecondsFormat;
use serde::Serialize;

/// The token's user.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct StatusBody {
    #[schema(pattern = "^success$")]
    status: &'static str,
    data: UserData,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct UserData {
    user_id: i64,
    email: String,
    admin: bool,
    /// RFC 3339, UTC
    #[schema(format = DateTime)]
    registered_on: String,
}

/// The user a bearer token belongs to.
#[utoipa::path(
    get,
    path = "/auth/status",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The token's user", body = StatusBody),
        (status = 401, description = "No, malformed, expired, invalid or revoked token", body = crate::wire::MessageBody),
        (status = 503, description = "Database unavailable", body = crate::wire::MessageBody),
    )
)]
pub async fn status(lanes: web::Data<TokenCheckLanes>, token: BearerToken<401>) -> Result<HttpResponse, ApiError> {
    let result = lanes.status(token.into_inner()).await;
    metrics::counter!("auth_token_checks_total", "outcome" => outcome(&result, "valid")).increment(1);
    let user = result?;
    record_user(user.id);
    Ok(HttpResponse::Ok().json(StatusBody {
        status: "success",
        data: UserData {
            user_id: user.id.0,
            email: user.email.as_str().to_owned(),
            admin: user.admin,
            registered_on: user.registered_on.to_rfc3339_opts(SecondsFormat::Secs, true),
        },
    }))
}
