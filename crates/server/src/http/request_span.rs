use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::{Error, HttpMessage};
use auth_api::ApiError;
use auth_domain::{ErrorChain, StoreError};
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;

/// The request's id: the client's `X-Request-Id` when it is well-formed, a new UUID otherwise.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The matched route pattern (or "unmatched"), worked out once per request for the span and the metrics.
#[derive(Debug, Clone)]
pub struct MatchedRoute(pub String);

/// The request method as a label from a fixed set: any method name is a valid token, and a label or
/// log field taken from it as sent would let one client grow `/metrics` and the log without bound.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

impl RequestId {
    pub const HEADER: &'static str = "x-request-id";

    fn of(request: &ServiceRequest) -> Self {
        let from_client = request
            .headers()
            .get(Self::HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| (1..=64).contains(&v.len()))
            .filter(|v| v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
        Self(from_client.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned))
    }
}

/// One span per request with its id, method, route and (once known) user id; status and errors are
/// recorded when it ends. Never the query string, headers or body.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let id = RequestId::of(request);
        let route = request.match_pattern().unwrap_or_else(|| "unmatched".to_owned());
        let span = tracing::info_span!(
            "request",
            request_id = %id.0,
            http.method = method_label(request.method()),
            http.route = %route,
            user.id = tracing::field::Empty,
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        );
        let mut extensions = request.extensions_mut();
        extensions.insert(id);
        extensions.insert(MatchedRoute(route));
        span
    }

    /// Records the status (and the error's message, a fixed string) on the span. Only server errors
    /// become an event of their own: a refused token is routine, and one WARN line per 401 would let any
    /// client flood the log.
    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let (status, error) = match outcome {
            Ok(response) => (response.status(), response.response().error()),
            Err(error) => (error.as_response_error().status_code(), Some(error)),
        };
        span.record("http.status_code", status.as_u16());
        span.record("otel.status_code", if status.is_server_error() { "ERROR" } else { "OK" });
        if let Some(error) = error {
            span.record("exception.message", tracing::field::display(error));
            if status.is_server_error() {
                log_server_error(&span, status.as_u16(), error);
            }
        }
    }
}

/// The one log line of a failed request, with the error's causes (the database's own words). A request
/// refused for want of a connection is routine during an outage, which the pool logs once: debug only.
fn log_server_error(span: &Span, status: u16, error: &Error) {
    match error.as_error::<ApiError>() {
        Some(e @ ApiError::Store(StoreError::Unavailable(_))) => {
            tracing::debug!(parent: span, status, error = %ErrorChain(e), "request failed: no database connection");
        }
        Some(e) => tracing::error!(parent: span, status, error = %ErrorChain(e), "request failed"),
        None => tracing::error!(parent: span, status, error = %error, "request failed"),
    }
}
