//! How a token is checked: the header policy, the signature and the claims, against an injected time.

use crate::claims::{Claims, VerifiedClaims, canonical_user_id, canonical_uuid};
use crate::refusal::Refusal;
use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::{DecodingKey, Header, Validation};

/// Tokens are a few hundred bytes; anything this large is refused before any parsing.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// The one algorithm a deployment signs with (`tokens.algorithm`); a token of any other is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// Ed25519 keys, each named by the token's `kid` and published in the JWKS.
    EdDsa,
    /// One shared secret; nothing to publish, and no `kid`.
    Hs256,
}

impl Algorithm {
    fn jwt(self) -> jsonwebtoken::Algorithm {
        match self {
            Self::EdDsa => jsonwebtoken::Algorithm::EdDSA,
            Self::Hs256 => jsonwebtoken::Algorithm::HS256,
        }
    }

    /// The header our tokens of this algorithm carry (`kid` is set per key with EdDSA).
    pub fn header(self, kid: Option<String>) -> Header {
        Header { kid, ..Header::new(self.jwt()) }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::EdDsa => "EdDSA",
            Self::Hs256 => "HS256",
        }
    }
}

/// The checks every reader of our tokens applies: the issuer, the leeway on expiry and the algorithm.
#[derive(Debug, Clone)]
pub struct Verification {
    algorithm: Algorithm,
    validation: Validation,
    leeway: TimeDelta,
}

impl Verification {
    pub fn new(algorithm: Algorithm, issuer: &str, leeway_secs: u64) -> Self {
        let mut validation = Validation::new(algorithm.jwt());
        // Expiry is judged against the caller's clock in `judge`, not the system clock.
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.leeway = 0;
        validation.set_issuer(&[issuer]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "jti"]);
        let leeway = TimeDelta::seconds(i64::try_from(leeway_secs).unwrap_or(i64::MAX).min(i64::MAX / 1000));
        Self { algorithm, validation, leeway }
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub fn leeway(&self) -> TimeDelta {
        self.leeway
    }

    /// The `kid` that picks the key, once the header passes: the configured algorithm, a `kid` with
    /// EdDSA and none with HS256, and no header that would let the token choose its own key (`jku`,
    /// `jwk`, `x5u`, `x5c`, `x5t`, `x5t#S256`) or demand extensions (`crit`).
    pub fn key_id(&self, token: &str) -> Result<Option<String>, Refusal> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(Refusal::Invalid);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| Refusal::Invalid)?;
        self.check_header(&header)?;
        Ok(header.kid)
    }

    fn check_header(&self, h: &Header) -> Result<(), Refusal> {
        let kid_as_expected = match self.algorithm {
            Algorithm::EdDsa => h.kid.is_some(),
            Algorithm::Hs256 => h.kid.is_none(),
        };
        let selects_a_key = h.jku.is_some()
            || h.jwk.is_some()
            || h.x5u.is_some()
            || h.x5c.is_some()
            || h.x5t.is_some()
            || h.x5t_s256.is_some()
            || h.crit.is_some();
        if h.alg != self.algorithm.jwt() || !kid_as_expected || selects_a_key {
            return Err(Refusal::Invalid);
        }
        Ok(())
    }

    /// The signature with `key`, the header again (as decoded with it) and the claims' presence and
    /// issuer. Time is not looked at: see `judge`.
    pub fn claims(&self, token: &str, key: &DecodingKey) -> Result<Claims, Refusal> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(Refusal::Invalid);
        }
        let data = jsonwebtoken::decode::<Claims>(token, key, &self.validation).map_err(|_| Refusal::Invalid)?;
        self.check_header(&data.header)?;
        Ok(data.claims)
    }

    /// The claims' values, and expiry against `now`: canonical ids, an expiry after the issue, an issue
    /// not in the future (beyond the leeway). A bad value is `Invalid` even when the token has also
    /// expired.
    pub fn judge(&self, claims: &Claims, now: DateTime<Utc>) -> Result<VerifiedClaims, Refusal> {
        let user_id = canonical_user_id(&claims.sub).ok_or(Refusal::Invalid)?;
        canonical_uuid(&claims.jti).ok_or(Refusal::Invalid)?;
        if let Some(sid) = &claims.sid {
            canonical_uuid(sid).ok_or(Refusal::Invalid)?;
        }
        let issued_at = DateTime::from_timestamp(claims.iat, 0).ok_or(Refusal::Invalid)?;
        let expires_at = DateTime::from_timestamp(claims.exp, 0).ok_or(Refusal::Invalid)?;
        // Checked: `exp` may be any date a signer chose; the arithmetic must not be what fails.
        let latest_issue = now.checked_add_signed(self.leeway).ok_or(Refusal::Invalid)?;
        if expires_at <= issued_at || issued_at > latest_issue {
            return Err(Refusal::Invalid);
        }
        if expires_at.checked_add_signed(self.leeway).ok_or(Refusal::Invalid)? <= now {
            return Err(Refusal::Expired);
        }
        Ok(VerifiedClaims {
            user_id,
            token_id: claims.jti.clone(),
            session_id: claims.sid.clone(),
            issued_at,
            expires_at,
        })
    }

    /// The whole check: header, the key `key_for` gives for its `kid` (`Ok(None)`: not one of ours),
    /// signature, claims, expiry.
    pub fn verify(
        &self,
        token: &str,
        key_for: impl FnOnce(Option<&str>) -> Result<Option<DecodingKey>, Refusal>,
        now: DateTime<Utc>,
    ) -> Result<VerifiedClaims, Refusal> {
        let kid = self.key_id(token)?;
        let key = key_for(kid.as_deref())?.ok_or(Refusal::Invalid)?;
        self.judge(&self.claims(token, &key)?, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use jsonwebtoken::EncodingKey;
    use serde_json::{Value, json};

    const SECRET: &[u8] = b"test-secret-that-is-long-enough-for-hs256";

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
    }

    fn claims() -> Value {
        json!({
            "sub": "7", "iat": t0().timestamp(), "exp": t0().timestamp() + 3600,
            "jti": "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f", "iss": "auth-service",
        })
    }

    fn sign(header: &Header, claims: &Value) -> String {
        jsonwebtoken::encode(header, claims, &EncodingKey::from_secret(SECRET).unwrap()).unwrap()
    }

    fn hs256() -> Verification {
        Verification::new(Algorithm::Hs256, "auth-service", 0)
    }

    fn verify(token: &str) -> Result<VerifiedClaims, Refusal> {
        hs256().verify(token, |_| Ok(Some(DecodingKey::from_secret(SECRET).unwrap())), t0())
    }

    #[test]
    fn a_token_of_ours_verifies() {
        let verified = verify(&sign(&Algorithm::Hs256.header(None), &claims())).unwrap();
        assert_eq!(verified.user_id, 7);
        assert_eq!(verified.token_id, "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f");
        assert_eq!(verified.expires_at, t0() + TimeDelta::hours(1));
    }

    #[test]
    fn refused_headers_are_refused_under_a_valid_signature() {
        let with = |f: &dyn Fn(&mut Header)| {
            let mut header = Algorithm::Hs256.header(None);
            f(&mut header);
            sign(&header, &claims())
        };
        for token in [
            with(&|h| h.kid = Some("1".into())),
            with(&|h| h.jku = Some("https://attacker.example/jwks.json".into())),
            with(&|h| h.x5u = Some("https://attacker.example/cert.pem".into())),
            with(&|h| h.x5c = Some(vec!["MIIB".into()])),
            with(&|h| h.x5t = Some("abc".into())),
            with(&|h| h.x5t_s256 = Some("abc".into())),
            with(&|h| h.crit = Some(vec!["exp".into()])),
            sign(&Header::new(jsonwebtoken::Algorithm::HS512), &claims()),
        ] {
            assert_eq!(verify(&token), Err(Refusal::Invalid), "{token}");
        }
    }

    #[test]
    fn eddsa_needs_a_kid() {
        let eddsa = Verification::new(Algorithm::EdDsa, "auth-service", 0);
        let token = sign(&Algorithm::Hs256.header(None), &claims());
        assert_eq!(eddsa.key_id(&token), Err(Refusal::Invalid), "another algorithm");
        assert_eq!(eddsa.key_id("a.b.c"), Err(Refusal::Invalid));
    }

    #[test]
    fn claim_values_are_judged() {
        for (claim, value) in [
            ("sub", json!("+7")),
            ("sub", json!("07")),
            ("sub", json!("0")),
            ("sub", json!(7)),
            ("jti", json!("6F1C2D3E-4A5B-4C6D-8E9F-0A1B2C3D4E5F")),
            ("sid", json!("not-a-uuid")),
            ("iss", json!("someone-else")),
            ("iat", json!(t0().timestamp() + 1)),
            ("exp", json!(t0().timestamp())),
        ] {
            let mut c = claims();
            c[claim] = value.clone();
            assert!(
                matches!(verify(&sign(&Algorithm::Hs256.header(None), &c)), Err(Refusal::Invalid | Refusal::Expired)),
                "{claim} = {value}"
            );
        }
        let mut expired = claims();
        expired["iat"] = json!(t0().timestamp() - 7200);
        expired["exp"] = json!(t0().timestamp() - 1);
        assert_eq!(verify(&sign(&Algorithm::Hs256.header(None), &expired)), Err(Refusal::Expired));
        for missing in ["sub", "iat", "exp", "jti", "iss"] {
            let mut c = claims();
            c.as_object_mut().unwrap().remove(missing);
            assert_eq!(verify(&sign(&Algorithm::Hs256.header(None), &c)), Err(Refusal::Invalid), "without {missing}");
        }
    }

    #[test]
    fn oversized_and_garbage_tokens_are_invalid() {
        assert_eq!(verify(&"a".repeat(MAX_TOKEN_BYTES + 1)), Err(Refusal::Invalid));
        for token in ["", "a", "a.b", "a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9.e30."] {
            assert_eq!(verify(token), Err(Refusal::Invalid), "{token:?}");
        }
    }
}
