#![no_main]
//! Any bytes as an Authorization header: the parser must answer, never panic, and only ever return a
//! non-empty token without whitespace.

use actix_web::http::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use auth_api::parse_authorization;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = HeaderValue::from_bytes(data) else { return };
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, value);
    if let Ok(token) = parse_authorization(&headers) {
        assert!(!token.is_empty());
        assert!(!token.contains(char::is_whitespace));
        assert!(data.len() > token.len());
    }
});
