//! The Authorization header parser over generated input: it never panics, accepts exactly
//! `Bearer <one token>` and returns the token unchanged.

use auth_token::{AuthorizationError as AuthHeaderError, parse_authorization};
use proptest::prelude::*;

/// The parser given one header with these bytes.
fn parse(value: &[u8]) -> Result<&str, AuthHeaderError> {
    parse_authorization([value])
}

/// The contract, written out plainly: visible ASCII only; blank is missing; otherwise exactly
/// `Bearer <token>` (scheme in any letter case, one space, a token without whitespace).
fn expected(value: &[u8]) -> Result<&str, AuthHeaderError> {
    let visible = value.iter().all(|&b| b == b'\t' || (0x20..0x7f).contains(&b));
    let text = std::str::from_utf8(value).ok().filter(|_| visible).ok_or(AuthHeaderError::Malformed)?;
    if text.trim().is_empty() {
        return Err(AuthHeaderError::Missing);
    }
    match text.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(char::is_whitespace) =>
        {
            Ok(token)
        }
        _ => Err(AuthHeaderError::Malformed),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn any_header_value_is_classified_as_the_contract_says(
        prefix in prop_oneof![Just(""), Just("Bearer "), Just("bEaReR "), Just(" "), Just("Bearer\t")],
        value in prop::collection::vec(
            prop_oneof![8 => 0x20u8..0x7f, 1 => Just(b'\t'), 1 => 0x80u8..=0xff, 1 => 0u8..0x20],
            0..200,
        ),
    ) {
        let bytes = [prefix.as_bytes(), &value].concat();
        prop_assert_eq!(parse(&bytes), expected(&bytes));
    }

    #[test]
    fn returns_the_token_of_a_well_formed_header(scheme in "[Bb][Ee][Aa][Rr][Ee][Rr]", token in "[!-~]{1,300}") {
        let header = format!("{scheme} {token}");
        prop_assert_eq!(parse(header.as_bytes()), Ok(token.as_str()));
    }

    #[test]
    fn other_schemes_are_malformed(scheme in "[A-Za-z]{1,10}", token in "[!-~]{1,50}") {
        prop_assume!(!scheme.eq_ignore_ascii_case("bearer"));
        let header = format!("{scheme} {token}");
        prop_assert_eq!(parse(header.as_bytes()), Err(AuthHeaderError::Malformed));
    }

    #[test]
    fn whitespace_inside_the_token_is_malformed(a in "[!-~]{1,20}", gap in "[ \t]{1,3}", b in "[!-~]{1,20}") {
        let header = format!("Bearer {a}{gap}{b}");
        prop_assert_eq!(parse(header.as_bytes()), Err(AuthHeaderError::Malformed));
    }
}
