//! Token minting for the load benchmark: the logout scenario needs a fresh valid token per request, far
//! more than logins at bcrypt cost 12 could produce in the time.

use auth_domain::{TokenCodec, TokenConfigError, TokenSettings, UserId};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

/// `count` tokens for `user_id`, signed as the service signs them.
pub fn mint(
    secret: SecretString,
    issuer: &str,
    user_id: i64,
    count: usize,
    now: DateTime<Utc>,
) -> Result<Vec<String>, TokenConfigError> {
    let codec =
        TokenCodec::new(&TokenSettings { secret, issuer: issuer.to_owned(), access_ttl_secs: 3600, leeway_secs: 0 })?;
    Ok((0..count)
        .filter_map(|_| codec.issue(UserId(user_id), now).ok())
        .map(|issued| issued.token.expose_secret().to_owned())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn minted_tokens_are_distinct_and_verify_for_the_user() {
        let secret = "loadtest-secret-loadtest-secret-0123456789";
        let now = Utc::now();
        let tokens = mint(SecretString::from(secret), "auth-service", 7, 100, now).unwrap();
        assert_eq!(tokens.iter().collect::<HashSet<_>>().len(), 100);
        let codec = TokenCodec::new(&TokenSettings {
            secret: SecretString::from(secret),
            issuer: "auth-service".into(),
            access_ttl_secs: 3600,
            leeway_secs: 0,
        })
        .unwrap();
        for token in &tokens {
            assert_eq!(codec.verify(token, now).unwrap().user_id, UserId(7));
        }
    }
}
