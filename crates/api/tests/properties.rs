//! The Authorization header parser over generated input: it never panics, accepts exactly
//! `Bearer <one token>` and returns the token unchanged.

use actix_web::http::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use auth_api::{AuthHeaderError, parse_authorization};
use proptest::prelude::*;

fn headers(value: &[u8]) -> Option<HeaderMap> {
    let value = HeaderValue::from_bytes(value).ok()?;
    let mut map = HeaderMap::new();
    map.insert(AUTHORIZATION, value);
    Some(map)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_any_header_bytes(value in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Some(map) = headers(&value)
            && let Ok(token) = parse_authorization(&map)
        {
            prop_assert!(!token.is_empty() && !token.contains(char::is_whitespace));
        }
    }

    #[test]
    fn returns_the_token_of_a_well_formed_header(scheme in "[Bb][Ee][Aa][Rr][Ee][Rr]", token in "[!-~]{1,300}") {
        let map = headers(format!("{scheme} {token}").as_bytes()).unwrap();
        prop_assert_eq!(parse_authorization(&map), Ok(token.as_str()));
    }

    #[test]
    fn other_schemes_are_malformed(scheme in "[A-Za-z]{1,10}", token in "[!-~]{1,50}") {
        prop_assume!(!scheme.eq_ignore_ascii_case("bearer"));
        let map = headers(format!("{scheme} {token}").as_bytes()).unwrap();
        prop_assert_eq!(parse_authorization(&map), Err(AuthHeaderError::Malformed));
    }

    #[test]
    fn whitespace_inside_the_token_is_malformed(a in "[!-~]{1,20}", gap in "[ \t]{1,3}", b in "[!-~]{1,20}") {
        let map = headers(format!("Bearer {a}{gap}{b}").as_bytes()).unwrap();
        prop_assert_eq!(parse_authorization(&map), Err(AuthHeaderError::Malformed));
    }
}
