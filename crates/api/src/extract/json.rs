use crate::error::ApiError;
use actix_web::error::JsonPayloadError;
use actix_web::web::JsonConfig;

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// JSON bodies: at most `MAX_BODY_BYTES`, `application/json` only, every failure in the API's error shape.
pub(crate) fn json_config() -> JsonConfig {
    JsonConfig::default().limit(MAX_BODY_BYTES).error_handler(|err, _req| json_error(&err).into())
}

pub(crate) fn json_error(err: &JsonPayloadError) -> ApiError {
    match err {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => ApiError::PayloadTooLarge,
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
        JsonPayloadError::Deserialize(e) if e.is_eof() && e.line() == 1 && e.column() == 0 => {
            ApiError::BadRequest("Request body is empty; expected a JSON object.".into())
        }
        JsonPayloadError::Deserialize(_) => ApiError::BadRequest("Request body is not valid JSON.".into()),
        _ => ApiError::BadRequest("Request body could not be read.".into()),
    }
}
