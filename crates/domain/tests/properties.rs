//! Properties of the parsers and the token codec over generated input: no input panics them, and what
//! they accept round-trips.

use auth_domain::{
    Email, MAX_PASSWORD_CHARS, Password, PasswordPolicy, Refusal, SessionId, Signer, TokenCodec, TokenSettings, UserId,
};
use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use secrecy::{ExposeSecret, SecretString};

fn codec() -> TokenCodec {
    let secret = SecretString::from("property-test-secret-property-test-secret");
    let settings = TokenSettings { issuer: "auth-service".into(), access_ttl_secs: 3600, leeway_secs: 0 };
    TokenCodec::new(&settings, Signer::hs256(&secret).unwrap()).unwrap()
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    // 2001..2100
    (1_000_000_000i64..4_100_000_000).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn email_parse_never_panics_and_is_idempotent(raw in any::<String>()) {
        if let Ok(email) = Email::parse(&raw) {
            prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
            prop_assert_eq!(email.as_str(), email.as_str().trim());
            prop_assert!(email.as_str().chars().count() <= Email::MAX_LEN);
            prop_assert_eq!(email.as_str().matches('@').count(), 1);
        }
    }

    #[test]
    fn plausible_emails_parse_and_ignore_case(
        local in "[A-Za-z0-9._%+-]{1,30}",
        domain in "[A-Za-z0-9]{1,20}(\\.[A-Za-z]{2,8}){1,3}",
        padding in "[ \t]{0,3}",
    ) {
        let raw = format!("{padding}{local}@{domain}{padding}");
        let email = Email::parse(&raw).unwrap();
        prop_assert_eq!(email.as_str(), format!("{local}@{domain}").to_lowercase());
        prop_assert_eq!(Email::parse(&raw.to_uppercase()).unwrap(), email);
    }

    #[test]
    fn password_rules_hold_for_any_string(raw in any::<String>(), min_length in 1usize..20) {
        let policy = PasswordPolicy { min_length };
        let accepted = Password::new(SecretString::from(raw.clone()), &policy).is_ok();
        // counted in characters as sent, as the API's schema states it
        let length = raw.chars().count();
        prop_assert_eq!(accepted, length >= min_length && length <= MAX_PASSWORD_CHARS);
    }

    #[test]
    fn verify_never_panics_on_arbitrary_input(token in any::<String>(), now in instant()) {
        prop_assert_eq!(codec().verify(&token, now), Err(Refusal::Invalid));
    }

    #[test]
    fn verify_never_panics_on_token_shaped_input(
        parts in prop::collection::vec("[A-Za-z0-9_=+/-]{0,80}", 0..5),
        now in instant(),
    ) {
        prop_assert!(codec().verify(&parts.join("."), now).is_err());
    }

    #[test]
    fn issued_tokens_round_trip_until_they_expire(user in 1i64..i64::MAX, now in instant(), age in 0i64..7200) {
        let codec = codec();
        let issued = codec.issue(UserId(user), SessionId::new_random(), now).unwrap();
        let checked = codec.verify(issued.token.expose_secret(), now + TimeDelta::seconds(age));
        if age < 3600 {
            let verified = checked.unwrap();
            prop_assert_eq!(verified.user_id, UserId(user));
            prop_assert_eq!(verified.jti, issued.jti);
        } else {
            prop_assert_eq!(checked, Err(Refusal::Expired));
        }
    }

    #[test]
    fn any_changed_character_invalidates_a_token(position in any::<prop::sample::Index>(), replacement in "[A-Za-z0-9_-]") {
        let codec = codec();
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let token = codec.issue(UserId(42), SessionId::new_random(), now).unwrap().token.expose_secret().to_owned();
        let index = position.index(token.len());
        let original = &token[index..=index];
        prop_assume!(original != "." && original != replacement);
        let forged = format!("{}{}{}", &token[..index], replacement, &token[index + 1..]);
        prop_assert_eq!(codec.verify(&forged, now), Err(Refusal::Invalid));
    }
}
