use crate::error::ApiError;
use actix_web::web;

/// Runs one whole use case (pool checkout, bcrypt, queries) on actix's blocking thread pool, inside the
/// current tracing span, so nothing blocking runs on the async executor.
pub async fn run_blocking<T, E>(use_case: impl FnOnce() -> Result<T, E> + Send + 'static) -> Result<T, ApiError>
where
    T: Send + 'static,
    E: Into<ApiError> + Send + 'static,
{
    let span = tracing::Span::current();
    match web::block(move || span.in_scope(use_case)).await {
        Ok(result) => result.map_err(Into::into),
        Err(e) => {
            tracing::error!(error = %e, "blocking task failed");
            Err(ApiError::Internal)
        }
    }
}
