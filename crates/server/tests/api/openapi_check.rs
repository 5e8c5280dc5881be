//! Every reply a contract test receives for a documented operation must be documented (its status)
//! and match the documented JSON schema: the OpenAPI document cannot drift from the code.

use jsonschema::Validator;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

static DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
    serde_json::to_value(auth_api::openapi(auth_domain::PasswordPolicy::default().min_length)).unwrap()
});
static VALIDATORS: LazyLock<Mutex<HashMap<String, Arc<Validator>>>> = LazyLock::new(Default::default);

pub fn document() -> &'static Value {
    &DOCUMENT
}

#[track_caller]
pub fn validate(method: &str, path: &str, status: u16, body: &Value) {
    let Some(operation) = DOCUMENT["paths"].get(path).and_then(|p| p.get(method)) else {
        return; // not an operation of the API (wrong method, unknown path): answered by the fallbacks
    };
    let key = format!("{method} {path} {status}");
    let cached = VALIDATORS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&key).cloned();
    let validator = match cached {
        Some(validator) => validator,
        None => {
            let Some(schema) = operation["responses"][status.to_string()]["content"]["application/json"].get("schema")
            else {
                panic!("{key}: this status is not documented for the operation");
            };
            let mut root = schema.clone();
            root.as_object_mut().unwrap().insert("components".into(), DOCUMENT["components"].clone());
            let validator = Arc::new(
                jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("{key}: schema does not compile: {e}")),
            );
            VALIDATORS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key.clone(), validator.clone());
            validator
        }
    };
    if let Err(error) = validator.validate(body) {
        panic!("{key}: the reply {body} does not match the documented schema: {error}");
    }
}

#[test]
fn the_check_rejects_a_reply_that_does_not_match() {
    let result = std::panic::catch_unwind(|| validate("post", "/auth/register", 201, &json!({"status": "success"})));
    assert!(result.is_err(), "a token reply without auth_token must not validate");
    let result = std::panic::catch_unwind(|| validate("post", "/auth/register", 418, &json!({})));
    assert!(result.is_err(), "an undocumented status must not pass");
}
