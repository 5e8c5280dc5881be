//! Token minting for the load benchmark: the logout scenario needs a fresh valid token per request, far
//! more than logins at bcrypt cost 12 could produce in the time.

use auth_domain::{TokenCodec, UserId};
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;

/// `count` tokens for `user_id`, signed by `codec` as the service signs them.
pub fn mint(codec: &TokenCodec, user_id: i64, count: usize, now: DateTime<Utc>) -> Vec<String> {
    (0..count)
        .filter_map(|_| codec.issue(UserId(user_id), now).ok())
        .map(|issued| issued.token.expose_secret().to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth_domain::TokenSettings;
    use secrecy::SecretString;
    use std::collections::HashSet;

    #[test]
    fn minted_tokens_are_distinct_and_verify_for_the_user() {
        let now = Utc::now();
        let codec = TokenCodec::new(&TokenSettings {
            secret: SecretString::from("loadtest-secret-loadtest-secret-0123456789"),
            issuer: "auth-service".into(),
            access_ttl_secs: 3600,
            leeway_secs: 0,
        })
        .unwrap();
        let tokens = mint(&codec, 7, 100, now);
        assert_eq!(tokens.iter().collect::<HashSet<_>>().len(), 100);
        for token in &tokens {
            assert_eq!(codec.verify(token, now).unwrap().user_id, UserId(7));
        }
    }
}
