use crate::settings::CorsSettings;
use actix_cors::Cors;
use actix_web::http::{Method, header};

/// Browsers may call the API only from the configured origins (`*` = any, refused in production).
pub fn cors(settings: &CorsSettings) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods([Method::GET, Method::POST])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::HeaderName::from_static("x-request-id")])
        .expose_headers([header::HeaderName::from_static("x-request-id")])
        .max_age(3600);
    for origin in &settings.allowed_origins {
        cors = if origin == "*" { cors.allow_any_origin() } else { cors.allowed_origin(origin) };
    }
    cors
}
