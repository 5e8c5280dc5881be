use crate::blocking::run_blocking;
use crate::wire::MessageBody;
use actix_web::{HttpResponse, web};
use auth_domain::{NotReady, Readiness};

/// The process is up and serving. Touches nothing else.
#[utoipa::path(get, path = "/health/live", tag = "health", responses((status = 200, description = "Alive", body = crate::wire::MessageBody)))]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(MessageBody::success("alive"))
}

/// The database answers and every migration is applied.
#[utoipa::path(
    get,
    path = "/health/ready",
    tag = "health",
    responses(
        (status = 200, description = "Ready", body = crate::wire::MessageBody),
        (status = 503, description = "Database unreachable, not writable, replaced, or migrations pending", body = crate::wire::MessageBody),
    )
)]
pub async fn ready(probe: web::Data<dyn Readiness>) -> HttpResponse {
    let probe = probe.into_inner();
    let message = match run_blocking(move || Ok::<_, crate::ApiError>(probe.check_ready())).await {
        Ok(Ok(())) => return HttpResponse::Ok().json(MessageBody::success("ready")),
        // The cause (which may name hosts) goes to the log, not to the caller.
        Ok(Err(NotReady::Unavailable(cause))) => {
            tracing::warn!(cause = %auth_domain::ErrorChain(cause.as_ref()), "not ready: database unreachable");
            "Not ready: the database is unreachable.".to_owned()
        }
        Ok(Err(pending @ NotReady::PendingMigrations(_))) => format!("Not ready: {pending}."),
        Ok(Err(NotReady::NotWritable(cause))) => {
            tracing::error!(cause = %auth_domain::ErrorChain(cause.as_ref()), "not ready: the database cannot be written");
            "Not ready: the database cannot be written.".to_owned()
        }
        Ok(Err(replaced @ NotReady::FileReplaced(_))) => {
            tracing::error!(error = %replaced, "not ready");
            "Not ready: the database file was removed or replaced.".to_owned()
        }
        Err(_) => "Not ready.".to_owned(),
    };
    HttpResponse::ServiceUnavailable().json(MessageBody::fail(&message))
}
