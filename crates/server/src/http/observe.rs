use super::request_span::{MatchedRoute, RequestId, method_label};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use std::time::Instant;

/// Counts and times every request by method, route and status, logs its completion inside the
/// request span, and returns the request id as `X-Request-Id`.
pub async fn observe(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = method_label(request.method());
    // Put there by `RequestSpan`; nothing else reads them.
    let (request_id, route) = {
        let mut extensions = request.extensions_mut();
        let route = extensions.remove::<MatchedRoute>().map_or_else(|| "unmatched".to_owned(), |r| r.0);
        (extensions.remove::<RequestId>(), route)
    };
    let mut response = next.call(request).await?;

    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    let labels = [("method", method.to_owned()), ("route", route), ("status", status.to_string())];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
    tracing::info!(status, latency_ms = elapsed.as_secs_f64() * 1000.0, "request completed");

    if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(&id.0).ok()) {
        response.headers_mut().insert(HeaderName::from_static(RequestId::HEADER), value);
    }
    Ok(response)
}
