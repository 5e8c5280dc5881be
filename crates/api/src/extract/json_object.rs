use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde_json::{Map, Value};
use std::future::Future;
use std::pin::Pin;

/// A JSON object body, read within `server.body_timeout_ms`, every failure in the API's error shape.
/// The endpoints take their fields from it by hand, so that a missing, null or non-string field is a
/// 400 that names it, and other fields are ignored (as the Flask service did).
pub struct JsonObject(pub Map<String, Value>);

impl JsonObject {
    /// The string field `name`, taken out of the object.
    pub fn take_string(&mut self, name: &str) -> Result<String, ApiError> {
        match self.0.remove(name) {
            Some(Value::String(value)) => Ok(value),
            None | Some(Value::Null) => Err(ApiError::BadRequest(format!("The {name} field is required."))),
            Some(_) => Err(ApiError::BadRequest(format!("The {name} field must be a string."))),
        }
    }

    pub fn from_value(body: Value) -> Result<Self, ApiError> {
        match body {
            Value::Object(fields) => Ok(Self(fields)),
            _ => Err(ApiError::BadRequest("Request body must be a JSON object.".into())),
        }
    }
}

impl FromRequest for JsonObject {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Json::<Value>::from_request(req, payload);
        let timeout = crate::client::BodyTimeout::of(req);
        Box::pin(async move {
            // A body sent a byte at a time would otherwise hold the connection open for ever.
            let body = actix_web::rt::time::timeout(timeout, body).await.map_err(|_| ApiError::RequestTimeout)?;
            let body = body.map_err(|e| match e.as_error::<ApiError>() {
                Some(api_error) => api_error.clone(),
                None => e
                    .as_error::<actix_web::error::JsonPayloadError>()
                    .map_or(ApiError::BadRequest("Request body could not be read.".into()), super::json::json_error),
            })?;
            Self::from_value(body.into_inner())
        })
    }
}

/// Declares a body extractor made of string fields read from a `JsonObject`.
macro_rules! string_fields_body {
    ($(#[$meta:meta])* $name:ident { $($(#[$field_meta:meta])* $field:ident),+ $(,)? }) => {
        $(#[$meta])*
        pub struct $name {
            $($(#[$field_meta])* pub $field: secrecy::SecretString,)+
        }

        impl actix_web::FromRequest for $name {
            type Error = $crate::error::ApiError;
            type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, $crate::error::ApiError>>>>;

            fn from_request(req: &actix_web::HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
                let object = $crate::extract::JsonObject::from_request(req, payload);
                Box::pin(async move {
                    let mut object = object.await?;
                    Ok(Self { $($field: secrecy::SecretString::from(object.take_string(stringify!($field))?),)+ })
                })
            }
        }
    };
}
pub(crate) use string_fields_body;
