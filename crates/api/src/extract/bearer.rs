use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, HeaderMap};
use actix_web::{FromRequest, HttpRequest};
use std::future::{Ready, ready};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthHeaderError {
    /// No `Authorization` header, or an empty one.
    Missing,
    /// Anything but exactly `Bearer <token>`.
    Malformed,
}

/// Reads `Authorization: Bearer <token>`. The scheme is case-insensitive (RFC 7235); exactly one
/// header, one space and one token with no whitespace are accepted.
pub fn parse_authorization(headers: &HeaderMap) -> Result<&str, AuthHeaderError> {
    let mut values = headers.get_all(AUTHORIZATION);
    let Some(value) = values.next() else {
        return Err(AuthHeaderError::Missing);
    };
    if values.next().is_some() {
        return Err(AuthHeaderError::Malformed);
    }
    let value = value.to_str().map_err(|_| AuthHeaderError::Malformed)?;
    if value.trim().is_empty() {
        return Err(AuthHeaderError::Missing);
    }
    let (scheme, token) = value.split_once(' ').ok_or(AuthHeaderError::Malformed)?;
    // `to_str` has let through visible ASCII, spaces and tabs only, so those are the whitespace to find
    // (a byte search: this runs on every authenticated request)
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.bytes().any(|b| b == b' ' || b == b'\t') {
        return Err(AuthHeaderError::Malformed);
    }
    Ok(token)
}

/// The bearer token of a request. A missing header is answered with `MISSING_STATUS` (the Flask
/// contract uses 401 on status and 403 on logout); a malformed one always with 401.
#[derive(Debug)]
pub struct BearerToken<const MISSING_STATUS: u16>(String);

impl<const MISSING_STATUS: u16> BearerToken<MISSING_STATUS> {
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl<const MISSING_STATUS: u16> FromRequest for BearerToken<MISSING_STATUS> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = parse_authorization(req.headers()).map(|t| Self(t.to_owned())).map_err(|e| match e {
            AuthHeaderError::Missing => ApiError::MissingToken {
                status: StatusCode::from_u16(MISSING_STATUS).unwrap_or(StatusCode::UNAUTHORIZED),
            },
            AuthHeaderError::Malformed => ApiError::MalformedBearer,
        });
        if let Err(e) = &token {
            tracing::info!(reason = %e, "authorization header refused");
        }
        ready(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn headers(values: &[&[u8]]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(AUTHORIZATION, HeaderValue::from_bytes(v).unwrap());
        }
        map
    }

    #[test]
    fn accepts_one_bearer_token_in_any_letter_case() {
        assert_eq!(parse_authorization(&headers(&[b"Bearer abc.def.ghi"])), Ok("abc.def.ghi"));
        assert_eq!(parse_authorization(&headers(&[b"bearer abc"])), Ok("abc"));
        assert_eq!(parse_authorization(&headers(&[b"BEARER abc"])), Ok("abc"));
    }

    #[test]
    fn missing_or_empty_is_missing() {
        assert_eq!(parse_authorization(&headers(&[])), Err(AuthHeaderError::Missing));
        assert_eq!(parse_authorization(&headers(&[b""])), Err(AuthHeaderError::Missing));
        assert_eq!(parse_authorization(&headers(&[b"   "])), Err(AuthHeaderError::Missing));
    }

    #[test]
    fn anything_else_is_malformed() {
        for value in [
            &b"Bearer"[..],
            b"Bearer ",
            b"Bearerabc",
            b"Bearer a b",
            b"Bearer  abc",
            b"Bearer\tabc",
            b"Basic dXNlcjpwYXNz",
            b"Token abc",
            b"Bearer abc\xff",
        ] {
            assert_eq!(
                parse_authorization(&headers(&[value])),
                Err(AuthHeaderError::Malformed),
                "{}",
                String::from_utf8_lossy(value)
            );
        }
    }

    #[test]
    fn two_headers_are_malformed() {
        assert_eq!(parse_authorization(&headers(&[b"Bearer a", b"Bearer b"])), Err(AuthHeaderError::Malformed));
    }
}
