use super::JsonObject;
use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use secrecy::SecretString;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;

/// `{"email": "...", "password": "..."}` from a JSON body. Other fields are ignored, as the Flask
/// service did; a missing, null or non-string field is a 400 that names it. Read by hand (not derived)
/// for those messages; the derived schema is what the OpenAPI document shows.
#[derive(utoipa::ToSchema)]
#[schema(as = CredentialsBody)]
pub struct Credentials {
    /// An address (at most 254 characters: a local part of at most 64, one `@`, a domain of at least
    /// two labels of letters, digits and inner hyphens). Internationalised addresses in NFC are
    /// accepted when each part is in one script and holds no invisible or look-alike characters.
    /// Compared case-insensitively. (Login takes any string and answers 404 for one it does not know.)
    #[schema(example = "joe@gmail.com", max_length = 254, format = Email)]
    pub email: String,
    /// `password.min_length` (default 6) to 128 characters
    #[schema(value_type = String, example = "123456", format = Password, max_length = 128)]
    pub password: SecretString,
}

impl Credentials {
    pub fn from_json(body: Value) -> Result<Self, ApiError> {
        Self::from_object(JsonObject::from_value(body)?)
    }

    fn from_object(mut object: JsonObject) -> Result<Self, ApiError> {
        let email = object.take_string("email")?;
        let password = SecretString::from(object.take_string("password")?);
        Ok(Self { email, password })
    }
}

impl FromRequest for Credentials {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let object = JsonObject::from_request(req, payload);
        Box::pin(async move { Self::from_object(object.await?) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use serde_json::json;

    fn message(body: Value) -> String {
        match Credentials::from_json(body) {
            Err(ApiError::BadRequest(m)) => m,
            Err(other) => panic!("unexpected {other:?}"),
            Ok(_) => panic!("accepted"),
        }
    }

    #[test]
    fn reads_both_fields() {
        let c = Credentials::from_json(json!({"email": "joe@gmail.com", "password": "123456", "extra": 1})).unwrap();
        assert_eq!(c.email, "joe@gmail.com");
        assert_eq!(c.password.expose_secret(), "123456");
    }

    #[test]
    fn names_the_missing_or_mistyped_field() {
        assert_eq!(message(json!({"password": "123456"})), "The email field is required.");
        assert_eq!(message(json!({"email": null, "password": "123456"})), "The email field is required.");
        assert_eq!(message(json!({"email": 5, "password": "123456"})), "The email field must be a string.");
        assert_eq!(message(json!({"email": "joe@gmail.com"})), "The password field is required.");
        assert_eq!(
            message(json!({"email": "joe@gmail.com", "password": ["x"]})),
            "The password field must be a string."
        );
    }

    #[test]
    fn refuses_non_objects() {
        for body in [json!([]), json!("x"), json!(1), json!(null), json!(true)] {
            assert_eq!(message(body), "Request body must be a JSON object.");
        }
    }
}
