use crate::error::ApiError;
use actix_web::{HttpResponse, ResponseError, web};

/// Where `/metrics` text comes from (the server's Prometheus recorder).
pub trait MetricsSource: Send + Sync {
    fn render(&self) -> String;
}

/// Prometheus text format. Served here only when metrics are on and share the main address.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition format", content_type = "text/plain", body = String),
        (status = 404, description = "Metrics are off, or served on their own address", body = crate::wire::MessageBody),
    )
)]
pub async fn metrics(source: Option<web::Data<dyn MetricsSource>>) -> HttpResponse {
    match source {
        Some(source) => {
            HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(source.render())
        }
        None => ApiError::NotFound.error_response(),
    }
}
