use crate::error::ApiError;
use actix_web::{HttpResponse, ResponseError};

pub async fn not_found() -> HttpResponse {
    ApiError::NotFound.error_response()
}

pub async fn method_not_allowed() -> HttpResponse {
    ApiError::MethodNotAllowed.error_response()
}
