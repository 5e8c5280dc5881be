use crate::blocking::run_blocking;
use crate::error::ApiError;
use crate::extract::{Authenticated, ClientDetails};
use crate::observe::{outcome, record_user};
use crate::wire::MessageBody;
use actix_web::{HttpResponse, web};
use auth_domain::{AuthService, Resent};

/// Send the verification email again (a new link; the older ones stop working).
#[utoipa::path(
    post,
    path = "/auth/verify/resend",
    tag = "account",
    security(("bearer" = [])),
    responses(
        (status = 202, description = "`Verification email sent.`", body = crate::wire::MessageBody),
        (status = 200, description = "`Email already verified.`", body = crate::wire::MessageBody),
        (status = 401, description = "No, malformed, expired, invalid or revoked token", body = crate::wire::MessageBody),
        (status = 503, description = "`Email is not configured.` (`email.transport = \"none\"`), or the database is unavailable", body = crate::wire::MessageBody),
    )
)]
pub async fn resend_verification(
    service: web::Data<AuthService>,
    caller: Authenticated,
    client: ClientDetails,
) -> Result<HttpResponse, ApiError> {
    let service = service.into_inner();
    let caller = caller.into_inner();
    let user = caller.user.id;
    let result = run_blocking(move || service.resend_verification(&caller, client.0)).await;
    metrics::counter!("auth_verification_resends_total", "outcome" => outcome(&result, "sent")).increment(1);
    record_user(user);
    Ok(match result? {
        Resent::Sent => HttpResponse::Accepted().json(MessageBody::success("Verification email sent.")),
        Resent::AlreadyVerified => HttpResponse::Ok().json(MessageBody::success("Email already verified.")),
    })
}
