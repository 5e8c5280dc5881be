use crate::error::ApiError;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError, web};
use auth_domain::AuthService;
use std::sync::{Arc, OnceLock};
use utoipa_swagger_ui::Config;

/// The OpenAPI document, with this service's password policy.
pub async fn openapi_json(service: web::Data<AuthService>) -> HttpResponse {
    let document = crate::openapi::openapi(service.password_policy().min_length);
    match serde_json::to_string(&document) {
        Ok(body) => HttpResponse::Ok().content_type(header::ContentType::json()).body(body),
        Err(e) => {
            tracing::error!(error = %e, "the OpenAPI document does not serialise");
            ApiError::Internal.error_response()
        }
    }
}

/// The Swagger UI's files (vendored in the binary) under `/docs/`; an unknown file is the API's JSON 404,
/// not the empty body the UI crate's own service answers.
pub async fn docs_file(tail: web::Path<String>) -> HttpResponse {
    static CONFIG: OnceLock<Arc<Config<'static>>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| Arc::new(Config::from("/openapi.json"))).clone();
    match utoipa_swagger_ui::serve(&tail, config) {
        Ok(Some(file)) => {
            let mut response = HttpResponse::Ok();
            if file.gzpipped {
                response.insert_header((header::CONTENT_ENCODING, header::ContentEncoding::Gzip));
            }
            response.content_type(file.content_type).body(file.bytes.into_owned())
        }
        Ok(None) => ApiError::NotFound.error_response(),
        Err(e) => {
            tracing::error!(error = %e, "docs page failed");
            ApiError::Internal.error_response()
        }
    }
}
