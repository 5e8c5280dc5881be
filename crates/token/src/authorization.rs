//! `Authorization: Bearer <token>`, as every reader of our tokens parses it.

/// Why an `Authorization` header gives no token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizationError {
    /// No `Authorization` header, or one that is empty or only blanks.
    #[error("no authorization header")]
    Missing,
    /// Anything but exactly `Bearer <token>` in one header.
    #[error("authorization header malformed")]
    Malformed,
}

/// The bearer token of a request, given the raw values of its `Authorization` headers (in any web
/// framework: `headers.get_all(AUTHORIZATION).map(|v| v.as_bytes())`).
///
/// The scheme is case-insensitive (RFC 7235 §2.1); exactly one header, the scheme, one space and one
/// token without blanks are accepted. Header values hold visible ASCII, spaces and tabs only (RFC 9110
/// §5.5); anything else is malformed.
pub fn parse_authorization<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> Result<&'a str, AuthorizationError> {
    let mut values = values.into_iter();
    let Some(value) = values.next() else {
        return Err(AuthorizationError::Missing);
    };
    if values.next().is_some() {
        return Err(AuthorizationError::Malformed);
    }
    if !value.iter().all(|&b| b == b'\t' || (b' '..=b'~').contains(&b)) {
        return Err(AuthorizationError::Malformed);
    }
    // only ASCII is left, so this cannot fail
    let value = std::str::from_utf8(value).map_err(|_| AuthorizationError::Malformed)?;
    if value.trim().is_empty() {
        return Err(AuthorizationError::Missing);
    }
    let (scheme, token) = value.split_once(' ').ok_or(AuthorizationError::Malformed)?;
    // a byte search: this runs on every authenticated request
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.bytes().any(|b| b == b' ' || b == b'\t') {
        return Err(AuthorizationError::Malformed);
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<'a>(values: &[&'a [u8]]) -> Result<&'a str, AuthorizationError> {
        parse_authorization(values.iter().copied())
    }

    #[test]
    fn accepts_one_bearer_token_in_any_letter_case() {
        assert_eq!(parse(&[b"Bearer abc.def.ghi"]), Ok("abc.def.ghi"));
        assert_eq!(parse(&[b"bearer abc"]), Ok("abc"));
        assert_eq!(parse(&[b"BEARER abc"]), Ok("abc"));
    }

    #[test]
    fn missing_or_empty_is_missing() {
        assert_eq!(parse(&[]), Err(AuthorizationError::Missing));
        assert_eq!(parse(&[b""]), Err(AuthorizationError::Missing));
        assert_eq!(parse(&[b"   "]), Err(AuthorizationError::Missing));
        assert_eq!(parse(&[b" \t "]), Err(AuthorizationError::Missing));
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
            b"Bearer abc\t",
            b"Basic dXNlcjpwYXNz",
            b"Token abc",
            b"Bearer abc\xff",
            b"Bearer abc\x7f",
            b"Bearer \xc3\xa9",
        ] {
            assert_eq!(parse(&[value]), Err(AuthorizationError::Malformed), "{}", String::from_utf8_lossy(value));
        }
    }

    #[test]
    fn two_headers_are_malformed() {
        assert_eq!(parse(&[b"Bearer a", b"Bearer b"]), Err(AuthorizationError::Malformed));
        assert_eq!(parse(&[b"", b"Bearer b"]), Err(AuthorizationError::Malformed));
    }
}
