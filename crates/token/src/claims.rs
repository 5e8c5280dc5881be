//! What an access token says, on the wire and once checked.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The claims as signed. Every claim but `sid` is required (serde refuses a token that lacks one;
/// jsonwebtoken itself enforces only exp, iss and sub). Tokens issued before sessions carry no `sid`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id, in canonical decimal.
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    /// A random UUID, canonical hyphenated lower case: the key of a revocation.
    pub jti: String,
    pub iss: String,
    /// The session (a canonical UUID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// What a checked token says, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedClaims {
    pub user_id: i64,
    /// The token's `jti`: canonical hyphenated lower-case UUID.
    pub token_id: String,
    /// `sid`, canonical like `token_id`; `None` for a token issued before sessions.
    pub session_id: Option<String>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A user id as `sub` must spell it: a positive decimal with no sign, no leading zero and nothing else
/// (`"+12"` and `"012"` are not user 12: one user, one spelling).
pub fn canonical_user_id(sub: &str) -> Option<i64> {
    let id = sub.parse::<i64>().ok().filter(|id| *id > 0)?;
    (sub.len() == decimal_len(id) && sub.bytes().all(|b| b.is_ascii_digit())).then_some(id)
}

fn decimal_len(mut n: i64) -> usize {
    let mut len = 1;
    while n >= 10 {
        n /= 10;
        len += 1;
    }
    len
}

/// A UUID as we write it: hyphenated, lower case. Any other spelling of one is refused.
pub fn canonical_uuid(raw: &str) -> Option<uuid::Uuid> {
    let uuid = uuid::Uuid::try_parse(raw).ok()?;
    let mut buffer = uuid::Uuid::encode_buffer();
    (uuid.hyphenated().encode_lower(&mut buffer) == raw).then_some(uuid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_canonical_decimal_is_a_user_id() {
        assert_eq!(canonical_user_id("12"), Some(12));
        assert_eq!(canonical_user_id("1"), Some(1));
        assert_eq!(canonical_user_id("9223372036854775807"), Some(i64::MAX));
        for bad in ["+12", "012", "0", "-1", "", " 12", "12 ", "1_2", "9223372036854775808", "१२", "1e3", "0x1"] {
            assert_eq!(canonical_user_id(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn only_the_canonical_uuid_spelling_is_accepted() {
        let id = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
        assert!(canonical_uuid(id).is_some());
        for bad in [
            "6F1C2D3E-4A5B-4C6D-8E9F-0A1B2C3D4E5F",
            "6f1c2d3e4a5b4c6d8e9f0a1b2c3d4e5f",
            "{6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f}",
            "urn:uuid:6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
            "not-a-uuid",
        ] {
            assert!(canonical_uuid(bad).is_none(), "{bad}");
        }
    }
}
